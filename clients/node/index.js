'use strict';
// Kirim's Node.js client: @grpc/grpc-js with @grpc/proto-loader.
//
// Nothing here is generated: proto-loader reads proto/ (kirim.v1, google.rpc) and Debian's
// grpc-proto (grpc.health.v1) when this module is loaded — dynamic loading, not static code
// generation. `clients/generate node` installs the npm packages and writes TypeScript
// declarations for every message and service (types/, from proto-loader-gen-types) for editors
// and tsc; they describe the objects this module hands out (the same load options).
//
//   const { KirimClient, deadline } = require('./clients/node');
//   const kirim = new KirimClient('127.0.0.1:50051', { apiKey: process.env.KIRIM_API_KEY });
//   const resp = await kirim.unary(kirim.mail, 'SendEmail',
//       { from: 'shop@example.com', to: ['ana@example.net'], subject: 'Hi', text_body: 'It works' });
//   console.log(resp.id);
//   kirim.close();
//
// Field names are the proto's (snake_case: text_body, field_violations); enums are strings
// ('DELIVERED'); int64 values are strings.

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

// proto/ of this workspace, or $KIRIM_PROTO_DIR.
const PROTO_DIR = process.env.KIRIM_PROTO_DIR || path.resolve(__dirname, '..', '..', 'proto');
// Debian's grpc-proto (grpc/health/v1/health.proto), or $KIRIM_GRPC_PROTO_DIR.
const GRPC_PROTO_DIR = process.env.KIRIM_GRPC_PROTO_DIR || '/usr/share/grpc-proto';

const PROTO_FILES = [
  'kirim/v1/message.proto',
  'kirim/v1/mail_service.proto',
  'kirim/v1/admin_service.proto',
  'kirim/v1/domain_service.proto',
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
  'grpc/health/v1/health.proto',
];

// clients/generate passes the same options to proto-loader-gen-types.
const LOAD_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR, GRPC_PROTO_DIR],
};

let loaded = null;

// The gRPC package object: kirim.v1.MailService, grpc.health.v1.Health, ...
function load() {
  if (loaded === null) {
    const definition = protoLoader.loadSync(PROTO_FILES, LOAD_OPTIONS);
    loaded = grpc.loadPackageDefinition(definition);
  }
  return loaded;
}

let detailsRoot = null;

// A protobufjs root with google.rpc.Status and its detail messages, to decode error details.
function detailTypes() {
  if (detailsRoot === null) {
    const root = new protobuf.Root();
    root.resolvePath = (origin, target) => {
      for (const dir of LOAD_OPTIONS.includeDirs) {
        const candidate = path.join(dir, target);
        if (fs.existsSync(candidate)) return candidate;
      }
      // google/protobuf/*.proto: protobufjs has these built in.
      return protobuf.util.path.resolve(origin, target);
    };
    root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
    detailsRoot = root;
  }
  return detailsRoot;
}

const TO_OBJECT = { longs: String, enums: String, bytes: Buffer, defaults: true };

// The google.rpc.Status a grpc-js error (ServiceError) carries in grpc-status-details-bin, with
// each detail decoded: { code, message, details: [{ '@type': 'google.rpc.BadRequest',
// field_violations: [...] }, ...] }. null when the error has none.
function statusDetails(error) {
  const values = error && error.metadata ? error.metadata.get('grpc-status-details-bin') : [];
  if (!values || values.length === 0) return null;
  const root = detailTypes();
  const Status = root.lookupType('google.rpc.Status');
  const status = Status.decode(values[0]);
  const details = status.details.map((any) => {
    const name = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
    const type = root.lookup(name);
    if (!(type instanceof protobuf.Type)) return { '@type': name, value: Buffer.from(any.value) };
    return { '@type': name, ...type.toObject(type.decode(any.value), TO_OBJECT) };
  });
  return { code: status.code, message: status.message, details };
}

// The field paths of every google.rpc.BadRequest violation an error carries.
function badRequestFields(error) {
  const status = statusDetails(error);
  if (status === null) return [];
  return status.details
    .filter((d) => d['@type'] === 'google.rpc.BadRequest')
    .flatMap((d) => d.field_violations.map((v) => v.field));
}

// Adds "authorization: Bearer <key>" to every call (plaintext channels included, where grpc-js
// refuses call credentials).
function bearerKey(key) {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${key}`);
        next(metadata, listener);
      },
    });
}

// A Date `ms` milliseconds from now, for a call's deadline.
function deadline(ms) {
  return new Date(Date.now() + ms);
}

// One channel to kirimd with a client per service: mail, admin, domains, health.
// options.credentials: grpc.credentials.createSsl(...) for a kirimd with TLS; plaintext without.
class KirimClient {
  constructor(address, options = {}) {
    const pkg = load();
    const credentials = options.credentials || grpc.credentials.createInsecure();
    const clientOptions = { ...(options.channelOptions || {}) };
    if (options.apiKey) clientOptions.interceptors = [bearerKey(options.apiKey)];
    this.mail = new pkg.kirim.v1.MailService(address, credentials, clientOptions);
    const shared = { ...clientOptions, channelOverride: this.mail.getChannel() };
    this.admin = new pkg.kirim.v1.AdminService(address, credentials, shared);
    this.domains = new pkg.kirim.v1.DomainService(address, credentials, shared);
    this.health = new pkg.grpc.health.v1.Health(address, credentials, shared);
  }

  // A unary call as a promise: await kirim.unary(kirim.mail, 'GetMessage', { name: id }).
  unary(client, method, request, { timeoutMs = 10000, metadata } = {}) {
    return new Promise((resolve, reject) => {
      const args = [request];
      if (metadata) args.push(metadata);
      args.push({ deadline: deadline(timeoutMs) });
      client[method](...args, (err, response) => (err ? reject(err) : resolve(response)));
    });
  }

  close() {
    this.mail.close();
  }
}

module.exports = {
  grpc,
  load,
  KirimClient,
  statusDetails,
  badRequestFields,
  deadline,
  PROTO_DIR,
  PROTO_FILES,
  LOAD_OPTIONS,
};
