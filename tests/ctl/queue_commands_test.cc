// `queue retry <target>`: a message id or a destination domain, by shape or by --destination.
#include "client/ctl/queue_commands.h"

#include "gtest/gtest.h"

namespace kirim::ctl {
namespace {

TEST(RetryTargetTest, TheArgumentsShapeDecides) {
  EXPECT_EQ(RetryTarget("01KB5Z3Q8R6W9ZP0J4T2YV3N1M", false).message(),
            "messages/01KB5Z3Q8R6W9ZP0J4T2YV3N1M");
  EXPECT_EQ(RetryTarget("messages/01KB5Z3Q8R6W9ZP0J4T2YV3N1M", false).message(),
            "messages/01KB5Z3Q8R6W9ZP0J4T2YV3N1M");
  EXPECT_EQ(RetryTarget("gmail.com", false).destination(), "destinations/gmail.com");
  EXPECT_EQ(RetryTarget("destinations/localhost", false).destination(), "destinations/localhost");
}

TEST(RetryTargetTest, DestinationFlagForcesADomain) {
  const v1::RetryNowRequest r = RetryTarget("localhost", true);
  EXPECT_TRUE(r.has_destination());
  EXPECT_EQ(r.destination(), "destinations/localhost");
  EXPECT_FALSE(RetryTarget("localhost", false).has_destination());
}

}  // namespace
}  // namespace kirim::ctl
