// kirimctl domains: DomainService — sending domains, their DKIM keys and the DNS records to
// publish (docs/dns-setup.md).
//
//   kirimctl domains create example.com --output zone   # the records, as zone-file lines
//   kirimctl domains verify example.com                 # exit 4 until every record is right
#ifndef KIRIM_CLIENT_CTL_DOMAIN_COMMANDS_H_
#define KIRIM_CLIENT_CTL_DOMAIN_COMMANDS_H_

#include "client/ctl/command.h"

namespace kirim::ctl {

Command DomainsCommand();

}  // namespace kirim::ctl

#endif  // KIRIM_CLIENT_CTL_DOMAIN_COMMANDS_H_
