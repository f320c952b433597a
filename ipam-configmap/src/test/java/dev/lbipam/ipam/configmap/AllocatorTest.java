package dev.lbipam.ipam.configmap;

import static dev.lbipam.ipam.configmap.Scenarios.allocate;
import static dev.lbipam.ipam.configmap.Scenarios.configure;
import static dev.lbipam.ipam.configmap.Scenarios.hold;
import static dev.lbipam.ipam.configmap.Scenarios.holdUnmanaged;
import static dev.lbipam.ipam.configmap.Scenarios.holdWithPorts;
import static dev.lbipam.ipam.configmap.Scenarios.owner;
import static dev.lbipam.ipam.configmap.Scenarios.release;
import static dev.lbipam.ipam.configmap.Scenarios.scenario;
import static dev.lbipam.ipam.configmap.Scenarios.tcp;
import static dev.lbipam.ipam.configmap.Scenarios.udp;
import static dev.lbipam.ipam.spi.RejectReason.INVALID_CONFIG;
import static dev.lbipam.ipam.spi.RejectReason.NO_POOL;
import static dev.lbipam.ipam.spi.RejectReason.POOL_EXHAUSTED;
import static dev.lbipam.ipam.spi.net.IpFamily.IPV4;
import static dev.lbipam.ipam.spi.net.IpFamily.IPV6;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.configmap.Scenarios.Scenario;
import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationOutcome.Allocated;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ordered, stateful tables: each row is a scenario played step by step against a fresh backend
 * (which records what {@link Allocator#decide} returns). Every step's outcome is checked exactly.
 */
class AllocatorTest {
  private static final String DUAL = "10.0.0.0/24,2001:db8::/64";
  private static final String NO_POOLS = "no address pools could be found";
  private static final String NO_FAMILY = "could not find suitable pool for the IP family of the service";
  private static final String NO_DUAL =
      "service requires dual-stack, but the configuration does not have both IPv4 and IPv6 pools";

  static Stream<Scenario> poolSelection() {
    return Stream.of(
        scenario("cidr-<ns> first, then cidr-global, for each namespace",
            Map.of("cidr-a", "10.0.1.0/24", "cidr-global", "10.0.2.0/24", "range-a", "10.0.3.1-10.0.3.9",
                "range-global", "10.0.4.1-10.0.4.9"),
            allocate("a/s1").gets("10.0.1.1"),
            allocate("b/s1").gets("10.0.2.1")),
        scenario("a global CIDR beats a namespace range",
            Map.of("cidr-global", "10.0.2.0/24", "range-a", "10.0.3.1-10.0.3.9"),
            allocate("a/s1").gets("10.0.2.1")),
        scenario("range-<ns> beats range-global",
            Map.of("range-a", "10.0.3.1-10.0.3.9", "range-global", "10.0.4.1-10.0.4.9"),
            allocate("a/s1").gets("10.0.3.1"),
            allocate("b/s1").gets("10.0.4.1")),
        scenario("a namespace without any pool gets NO_POOL",
            Map.of("cidr-b", "10.0.1.0/24"),
            allocate("a/s1").refused(NO_POOL, NO_POOLS),
            allocate("b/s1").gets("10.0.1.1")),
        scenario("an empty ConfigMap gets NO_POOL", Map.of(),
            allocate("a/s1").refused(NO_POOL, NO_POOLS),
            allocate("a/s2").ipv6().refused(NO_POOL, NO_POOLS)),
        scenario("a value with '/' is CIDRs under a range key",
            Map.of("range-global", "10.0.0.4/30"),
            allocate("a/s1").gets("10.0.0.4"),
            allocate("a/s2").gets("10.0.0.5"),
            allocate("a/s3").gets("10.0.0.6"),
            allocate("a/s4").gets("10.0.0.7"),
            allocate("a/s5").refused(POOL_EXHAUSTED, "no addresses available in [global] cidr [10.0.0.4/30]")),
        scenario("a value without '/' is ranges under a cidr key",
            Map.of("cidr-a", "10.0.0.4-10.0.0.5"),
            allocate("a/s1").gets("10.0.0.4"),
            allocate("a/s2").gets("10.0.0.5"),
            allocate("a/s3").refused(POOL_EXHAUSTED, "no addresses available in [a] range [10.0.0.4-10.0.0.5]")),
        scenario("trimmed entries are merged into one pool",
            Map.of("cidr-global", "10.0.0.4/31, 10.0.0.6/31"),
            allocate("a/s1").gets("10.0.0.4"),
            allocate("a/s2").gets("10.0.0.5"),
            allocate("a/s3").gets("10.0.0.6"),
            allocate("a/s4").gets("10.0.0.7"),
            allocate("a/s5").refused(POOL_EXHAUSTED, "[global] cidr [10.0.0.4/30]")),
        scenario("IPv6: cidr-<ns> first, then cidr-global",
            Map.of("cidr-a", "2001:db8:a::/64", "cidr-global", "2001:db8::/64"),
            allocate("a/s1").ipv6().gets("2001:db8:a::"),
            allocate("b/s1").ipv6().gets("2001:db8::"),
            allocate("a/s2").gets("2001:db8:a::1")),
        scenario("overlapping namespace and global pools never hand out one address twice",
            Map.of("cidr-a", "10.0.0.0/30", "cidr-global", "10.0.0.0/30"),
            allocate("b/s1").gets("10.0.0.1"),
            allocate("a/s1").gets("10.0.0.2"),
            allocate("b/s2").gets("10.0.0.3"),
            allocate("a/s2").refused(POOL_EXHAUSTED, "no addresses available in [a] cidr [10.0.0.0/30]"),
            allocate("b/s3").refused(POOL_EXHAUSTED, "no addresses available in [global] cidr [10.0.0.0/30]")),
        scenario("overlapping IPv6 pools never hand out one address twice",
            Map.of("cidr-a", "2001:db8::/127", "range-global", "2001:db8::-2001:db8::2"),
            allocate("a/s1").ipv6().gets("2001:db8::"),
            allocate("b/s1").ipv6().gets("2001:db8::1"),
            allocate("a/s2").ipv6().refused(POOL_EXHAUSTED, "[a] cidr [2001:db8::/127] for IPv6"),
            allocate("b/s2").ipv6().gets("2001:db8::2")));
  }

  static Stream<Scenario> excludedAddresses() {
    return Stream.of(
        scenario("a range across .255 and .0 skips both",
            Map.of("range-global", "10.0.0.254-10.0.1.1"),
            allocate("a/s1").gets("10.0.0.254"),
            allocate("a/s2").gets("10.0.1.1"),
            allocate("a/s3").refused(POOL_EXHAUSTED, "[global] range [10.0.0.254-10.0.1.1]")),
        scenario("a range of only .255 and .0 has nothing to give",
            Map.of("range-global", "10.0.0.255-10.0.1.0"),
            allocate("a/s1").refused(POOL_EXHAUSTED, "no addresses available in [global] range [10.0.0.255-10.0.1.0]")),
        scenario("a /24 starts at .1",
            Map.of("cidr-global", "10.0.0.0/24"),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("a/s2").gets("10.0.0.2")),
        scenario("a /24 searched downwards starts at .254",
            Map.of("cidr-global", "10.0.0.0/24", "search-order", "desc"),
            allocate("a/s1").gets("10.0.0.254"),
            allocate("a/s2").gets("10.0.0.253")),
        scenario("a /23 searched downwards starts at the upper .254",
            Map.of("cidr-global", "10.0.0.0/23", "search-order", "desc"),
            allocate("a/s1").gets("10.0.1.254")),
        scenario("a /32 on .0 never allocates",
            Map.of("cidr-global", "10.0.0.0/32"),
            allocate("a/s1").refused(POOL_EXHAUSTED, "[global] cidr [10.0.0.0/32]")),
        scenario("a /32 on .255 never allocates, even with skip-end",
            Map.of("cidr-global", "10.0.0.255/32", "skip-end-ips-in-cidr", "true"),
            allocate("a/s1").refused(POOL_EXHAUSTED, "[global] cidr [10.0.0.255/32]")),
        scenario("a /31 on .254 gives only .254",
            Map.of("cidr-global", "10.0.0.254/31"),
            allocate("a/s1").gets("10.0.0.254"),
            allocate("a/s2").refused(POOL_EXHAUSTED, "[global] cidr [10.0.0.254/31]")),
        scenario("IPv6 addresses ending in ff and 00 are allocated",
            Map.of("cidr-global", "2001:db8::fe/127,2001:db8::100/128"),
            allocate("a/s1").ipv6().gets("2001:db8::fe"),
            allocate("a/s2").ipv6().gets("2001:db8::ff"),
            allocate("a/s3").ipv6().gets("2001:db8::100"),
            allocate("a/s4").ipv6().refused(POOL_EXHAUSTED, "[global] cidr [2001:db8::fe/127,2001:db8::100/128]")));
  }

  static Stream<Scenario> skipEnd() {
    return Stream.of(
        scenario("skip-end drops only the ends of the merged block",
            Map.of("cidr-global", "10.0.0.8/30,10.0.0.12/30", "skip-end-ips-in-cidr", "true"),
            allocate("a/s1").gets("10.0.0.9"),
            allocate("a/s2").gets("10.0.0.10"),
            allocate("a/s3").gets("10.0.0.11"),
            allocate("a/s4").gets("10.0.0.12"),
            allocate("a/s5").gets("10.0.0.13"),
            allocate("a/s6").gets("10.0.0.14"),
            allocate("a/s7").refused(POOL_EXHAUSTED, "[global] cidr [10.0.0.8/29]")),
        scenario("without skip-end the ends are handed out",
            Map.of("cidr-global", "10.0.0.8/30"),
            allocate("a/s1").gets("10.0.0.8"),
            allocate("a/s2").gets("10.0.0.9"),
            allocate("a/s3").gets("10.0.0.10"),
            allocate("a/s4").gets("10.0.0.11"),
            allocate("a/s5").refused(POOL_EXHAUSTED, "[global] cidr [10.0.0.8/30]")),
        scenario("skip-end keeps both addresses of a /31",
            Map.of("cidr-global", "10.0.0.10/31", "skip-end-ips-in-cidr", "true"),
            allocate("a/s1").gets("10.0.0.10"),
            allocate("a/s2").gets("10.0.0.11"),
            allocate("a/s3").refused(POOL_EXHAUSTED, "[global] cidr [10.0.0.10/31]")),
        scenario("skip-end keeps the one address of a /32",
            Map.of("cidr-global", "10.0.0.10/32", "skip-end-ips-in-cidr", "true"),
            allocate("a/s1").gets("10.0.0.10"),
            allocate("a/s2").refused(POOL_EXHAUSTED, "[global] cidr [10.0.0.10/32]")),
        scenario("skip-end searched downwards starts below the block's last address",
            Map.of("cidr-global", "10.0.0.64/26", "skip-end-ips-in-cidr", "true", "search-order", "desc"),
            allocate("a/s1").gets("10.0.0.126"),
            allocate("a/s2").gets("10.0.0.125")),
        scenario("downwards without skip-end starts at the block's last address",
            Map.of("cidr-global", "10.0.0.64/26", "search-order", "desc"),
            allocate("a/s1").gets("10.0.0.127")),
        scenario("skip-end leaves IPv6 alone",
            Map.of("cidr-global", "2001:db8::/126", "skip-end-ips-in-cidr", "true"),
            allocate("a/s1").ipv6().gets("2001:db8::"),
            allocate("a/s2").ipv6().gets("2001:db8::1"),
            allocate("a/s3").ipv6().gets("2001:db8::2"),
            allocate("a/s4").ipv6().gets("2001:db8::3"),
            allocate("a/s5").ipv6().refused(POOL_EXHAUSTED, "[global] cidr [2001:db8::/126] for IPv6")),
        scenario("skip-end leaves ranges alone",
            Map.of("range-global", "10.0.0.1-10.0.0.2", "skip-end-ips-in-cidr", "true"),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("a/s2").gets("10.0.0.2")),
        scenario("skip-end needs exactly 'true'",
            Map.of("cidr-global", "10.0.0.8/30", "skip-end-ips-in-cidr", "True"),
            allocate("a/s1").gets("10.0.0.8")));
  }

  static Stream<Scenario> searchOrder() {
    return Stream.of(
        scenario("desc walks the blocks from the top",
            Map.of("range-global", "10.0.0.1-10.0.0.2,10.0.0.10-10.0.0.11", "search-order", "desc"),
            allocate("a/s1").gets("10.0.0.11"),
            allocate("a/s2").gets("10.0.0.10"),
            allocate("a/s3").gets("10.0.0.2"),
            allocate("a/s4").gets("10.0.0.1"),
            allocate("a/s5").refused(POOL_EXHAUSTED, "[global] range [10.0.0.1-10.0.0.2,10.0.0.10-10.0.0.11]")),
        scenario("desc refills the highest freed address",
            Map.of("range-global", "10.0.0.1-10.0.0.9", "search-order", "desc"),
            allocate("a/s1").gets("10.0.0.9"),
            allocate("a/s2").gets("10.0.0.8"),
            release("a/s1"),
            allocate("a/s3").gets("10.0.0.9")),
        scenario("ascending refills the lowest freed address",
            Map.of("range-global", "10.0.0.1-10.0.0.9"),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("a/s2").gets("10.0.0.2"),
            allocate("a/s3").gets("10.0.0.3"),
            release("a/s2"),
            release("a/s1"),
            allocate("a/s4").gets("10.0.0.1"),
            allocate("a/s5").gets("10.0.0.2"),
            allocate("a/s6").gets("10.0.0.4")),
        scenario("DESC is not desc",
            Map.of("range-global", "10.0.0.1-10.0.0.9", "search-order", "DESC"),
            allocate("a/s1").gets("10.0.0.1")),
        scenario("IPv6 desc starts at the top of a /64",
            Map.of("cidr-global", "2001:db8::/64", "search-order", "desc"),
            allocate("a/s1").ipv6().gets("2001:db8::ffff:ffff:ffff:ffff"),
            allocate("a/s2").ipv6().gets("2001:db8::ffff:ffff:ffff:fffe")),
        scenario("IPv6 ascending in a /64 skips held addresses",
            Map.of("cidr-global", "2001:db8::/64"),
            hold("x/pinned", "2001:db8::", "2001:db8::1", "2001:db8::3"),
            allocate("a/s1").ipv6().gets("2001:db8::2"),
            allocate("a/s2").ipv6().gets("2001:db8::4")));
  }

  static Stream<Scenario> dhcp() {
    return Stream.of(
        scenario("every Service gets 0.0.0.0",
            Map.of("cidr-global", "0.0.0.0/32"),
            allocate("a/s1").gets("0.0.0.0"),
            allocate("a/s2").gets("0.0.0.0"),
            allocate("b/s1").ipv6().gets("0.0.0.0"),
            allocate("b/s2").requireDualStack(IPV6, IPV4).gets("0.0.0.0"),
            release("a/s1"),
            allocate("a/s1").gets("0.0.0.0")),
        scenario("0.0.0.0/32 under a range key is DHCP",
            Map.of("range-a", "0.0.0.0/32"),
            allocate("a/s1").gets("0.0.0.0")),
        scenario("a namespace DHCP pool leaves the global pool alone",
            Map.of("cidr-a", "0.0.0.0/32", "cidr-global", "10.0.0.0/24"),
            allocate("a/s1").gets("0.0.0.0"),
            allocate("b/s1").gets("10.0.0.1")),
        scenario("a held 0.0.0.0 blocks nothing",
            Map.of("cidr-global", "10.0.0.0/24"),
            hold("x/dhcp", "0.0.0.0"),
            holdWithPorts("x/dhcp2", List.of(tcp(80)), false, "0.0.0.0"),
            allocate("a/s1").gets("10.0.0.1")));
  }

  static Stream<Scenario> singleStack() {
    return Stream.of(
        scenario("empty ipFamilies uses IPv4, ipFamilies[0] decides otherwise",
            Map.of("cidr-global", DUAL),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("a/s2").ipv6().gets("2001:db8::"),
            allocate("a/s3").ipv4().gets("10.0.0.2"),
            allocate("a/s4").families(IPV6, IPV4).gets("2001:db8::1")),
        scenario("empty ipFamilies with only an IPv6 pool uses IPv6",
            Map.of("cidr-global", "2001:db8::/64"),
            allocate("a/s1").gets("2001:db8::"),
            allocate("a/s2").ipv4().refused(NO_POOL, NO_FAMILY)),
        scenario("IPv6 requested without an IPv6 pool gets NO_POOL",
            Map.of("cidr-global", "10.0.0.0/24"),
            allocate("a/s1").ipv6().refused(NO_POOL, NO_FAMILY),
            allocate("a/s2").gets("10.0.0.1")),
        scenario("an IPv6 pool runs out on its own",
            Map.of("cidr-global", "10.0.0.0/24,2001:db8::/127"),
            allocate("a/s1").ipv6().gets("2001:db8::"),
            allocate("a/s2").ipv6().gets("2001:db8::1"),
            allocate("a/s3").ipv6().refused(POOL_EXHAUSTED, "no addresses available in [global] cidr [10.0.0.0/24,2001:db8::/127] for IPv6"),
            allocate("a/s4").gets("10.0.0.1")));
  }

  static Stream<Scenario> dualStack() {
    return Stream.of(
        scenario("RequireDualStack orders addresses by ipFamilies",
            Map.of("cidr-global", DUAL),
            allocate("a/s1").requireDualStack(IPV4, IPV6).gets("10.0.0.1", "2001:db8::"),
            allocate("a/s2").requireDualStack(IPV6, IPV4).gets("2001:db8::1", "10.0.0.2"),
            allocate("a/s3").requireDualStack().gets("10.0.0.3", "2001:db8::2")),
        scenario("RequireDualStack without an IPv6 pool gets NO_POOL",
            Map.of("cidr-global", "10.0.0.0/24"),
            allocate("a/s1").requireDualStack(IPV4, IPV6).refused(NO_POOL, NO_DUAL),
            allocate("a/s2").gets("10.0.0.1")),
        scenario("RequireDualStack without an IPv4 pool gets NO_POOL",
            Map.of("cidr-global", "2001:db8::/64"),
            allocate("a/s1").requireDualStack(IPV6, IPV4).refused(NO_POOL, NO_DUAL)),
        scenario("RequireDualStack with IPv6 exhausted takes nothing",
            Map.of("cidr-global", "10.0.0.0/24,2001:db8::/128"),
            allocate("a/s1").ipv6().gets("2001:db8::"),
            allocate("a/s2").requireDualStack(IPV4, IPV6).refused(POOL_EXHAUSTED, "for IPv6"),
            allocate("a/s3").gets("10.0.0.1")),
        scenario("RequireDualStack with IPv4 exhausted takes nothing",
            Map.of("cidr-global", "10.0.0.1/32,2001:db8::/64"),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("a/s2").requireDualStack(IPV6, IPV4).refused(POOL_EXHAUSTED, "for IPv4"),
            allocate("a/s3").ipv6().gets("2001:db8::")),
        scenario("PreferDualStack without an IPv6 pool gets one IPv4 address",
            Map.of("cidr-global", "10.0.0.0/24"),
            allocate("a/s1").preferDualStack(IPV4, IPV6).gets("10.0.0.1"),
            allocate("a/s2").preferDualStack(IPV6, IPV4).gets("10.0.0.2")),
        scenario("PreferDualStack without an IPv4 pool gets one IPv6 address",
            Map.of("cidr-global", "2001:db8::/64"),
            allocate("a/s1").preferDualStack(IPV4, IPV6).gets("2001:db8::")),
        scenario("PreferDualStack orders by ipFamilies",
            Map.of("cidr-global", DUAL),
            allocate("a/s1").preferDualStack(IPV6, IPV4).gets("2001:db8::", "10.0.0.1"),
            allocate("a/s2").preferDualStack(IPV4, IPV6).gets("10.0.0.2", "2001:db8::1"),
            allocate("a/s3").preferDualStack().gets("10.0.0.3", "2001:db8::2")),
        scenario("PreferDualStack with the primary family exhausted gets the other one",
            Map.of("cidr-global", "10.0.0.0/24,2001:db8::/128"),
            allocate("a/s1").ipv6().gets("2001:db8::"),
            allocate("a/s2").preferDualStack(IPV6, IPV4).gets("10.0.0.1"),
            allocate("a/s3").preferDualStack(IPV4, IPV6).gets("10.0.0.2")),
        scenario("PreferDualStack with both families exhausted is refused",
            Map.of("cidr-global", "10.0.0.1/32,2001:db8::/128"),
            allocate("a/s1").requireDualStack(IPV4, IPV6).gets("10.0.0.1", "2001:db8::"),
            allocate("a/s2").preferDualStack(IPV6, IPV4).refused(POOL_EXHAUSTED, "for IPv6"),
            release("a/s1"),
            allocate("a/s3").preferDualStack(IPV6, IPV4).gets("2001:db8::", "10.0.0.1")),
        scenario("a dual-stack Service asking again gets the same pair",
            Map.of("cidr-global", DUAL),
            allocate("a/s1").requireDualStack(IPV6, IPV4).gets("2001:db8::", "10.0.0.1"),
            allocate("a/s1").requireDualStack(IPV6, IPV4).gets("2001:db8::", "10.0.0.1"),
            allocate("a/s2").requireDualStack(IPV6, IPV4).gets("2001:db8::1", "10.0.0.2")));
  }

  static Stream<Scenario> sharing() {
    Map<String, String> shared = Map.of("cidr-global", "10.0.0.0/24", "allow-share-global", "true");
    return Stream.of(
        scenario("Services whose ports don't clash share the lowest address", shared,
            allocate("a/s1").ports(tcp(80)).gets("10.0.0.1"),
            allocate("a/s2").ports(tcp(443)).gets("10.0.0.1"),
            allocate("a/s3").ports(tcp(80)).gets("10.0.0.2"),
            allocate("a/s4").ports(tcp(443), tcp(8080)).gets("10.0.0.2"),
            allocate("a/s5").ports(tcp(80)).gets("10.0.0.3"),
            allocate("b/s1").ports(tcp(8080)).gets("10.0.0.1")),
        scenario("TCP/53 and UDP/53 share", shared,
            allocate("a/s1").ports(tcp(53)).gets("10.0.0.1"),
            allocate("a/s2").ports(udp(53)).gets("10.0.0.1"),
            allocate("a/s3").ports(udp(53)).gets("10.0.0.2")),
        scenario("a Service without ports never shares", shared,
            allocate("a/s1").noPorts().gets("10.0.0.1"),
            allocate("a/s2").ports(tcp(80)).gets("10.0.0.2"),
            allocate("a/s3").noPorts().gets("10.0.0.3"),
            allocate("a/s4").ports(tcp(443)).gets("10.0.0.2")),
        scenario("allow-share-<ns> false is read before allow-share-global true",
            Map.of("cidr-global", "10.0.0.0/24", "allow-share-global", "true", "allow-share-a", "false"),
            allocate("a/s1").ports(tcp(80)).gets("10.0.0.1"),
            allocate("a/s2").ports(tcp(443)).gets("10.0.0.2"),
            allocate("b/s1").ports(tcp(8080)).gets("10.0.0.1")),
        scenario("allow-share-<ns> true is read before allow-share-global false",
            Map.of("cidr-global", "10.0.0.0/24", "allow-share-global", "false", "allow-share-a", "true"),
            allocate("a/s1").ports(tcp(80)).gets("10.0.0.1"),
            allocate("b/s1").ports(tcp(443)).gets("10.0.0.2"),
            allocate("a/s2").ports(tcp(443)).gets("10.0.0.1")),
        scenario("an unparsable allow-share counts as false",
            Map.of("cidr-global", "10.0.0.0/24", "allow-share-global", "yes"),
            allocate("a/s1").ports(tcp(80)).gets("10.0.0.1"),
            allocate("a/s2").ports(tcp(443)).gets("10.0.0.2")),
        scenario("an unparsable allow-share-<ns> does not fall back to global",
            Map.of("cidr-global", "10.0.0.0/24", "allow-share-global", "true", "allow-share-a", "yes"),
            allocate("a/s1").ports(tcp(80)).gets("10.0.0.1"),
            allocate("a/s2").ports(tcp(443)).gets("10.0.0.2"),
            allocate("b/s1").ports(tcp(443)).gets("10.0.0.1")),
        scenario("sharing is off without allow-share",
            Map.of("cidr-global", "10.0.0.0/24"),
            allocate("a/s1").ports(tcp(80)).gets("10.0.0.1"),
            allocate("a/s2").ports(tcp(443)).gets("10.0.0.2")),
        scenario("only addresses inside the Service's own pool are shared",
            Map.of("cidr-a", "10.0.1.0/24", "cidr-global", "10.0.0.0/24", "allow-share-global", "true"),
            allocate("b/s1").ports(tcp(80)).gets("10.0.0.1"),
            allocate("a/s1").ports(tcp(443)).gets("10.0.1.1"),
            allocate("b/s2").ports(tcp(443)).gets("10.0.0.1"),
            allocate("a/s2").ports(tcp(80)).gets("10.0.1.1")),
        scenario("a held address outside the pool is not shared", shared,
            hold("x/static", "192.168.0.10"),
            allocate("a/s1").ports(tcp(443)).gets("10.0.0.1")),
        scenario("a held .0 inside the pool is not shared", shared,
            hold("x/pinned", "10.0.0.0"),
            allocate("a/s1").ports(tcp(443)).gets("10.0.0.1")),
        scenario("an address held by an unmanaged Service is never shared", shared,
            holdUnmanaged("x/other-lb", "10.0.0.1"),
            allocate("a/s1").ports(tcp(443)).gets("10.0.0.2"),
            allocate("a/s2").ports(tcp(8080)).gets("10.0.0.2")),
        scenario("a managed pinned address is shared like an allocated one", shared,
            hold("x/pinned", "10.0.0.7"),
            allocate("a/s1").ports(tcp(443)).gets("10.0.0.7"),
            allocate("a/s2").ports(tcp(80)).gets("10.0.0.1")),
        scenario("IPv6 is never shared",
            Map.of("cidr-global", "2001:db8::/127", "allow-share-global", "true"),
            allocate("a/s1").ipv6().ports(tcp(80)).gets("2001:db8::"),
            allocate("a/s2").ipv6().ports(tcp(443)).gets("2001:db8::1"),
            allocate("a/s3").ipv6().ports(tcp(8080)).refused(POOL_EXHAUSTED, "for IPv6")),
        scenario("dual-stack shares the IPv4 address only",
            Map.of("cidr-global", DUAL, "allow-share-global", "true"),
            allocate("a/s1").requireDualStack(IPV4, IPV6).ports(tcp(80)).gets("10.0.0.1", "2001:db8::"),
            allocate("a/s2").requireDualStack(IPV6, IPV4).ports(tcp(443)).gets("2001:db8::1", "10.0.0.1")),
        scenario("desc shares the highest candidate",
            Map.of("cidr-global", "10.0.0.0/24", "allow-share-global", "true", "search-order", "desc"),
            allocate("a/s1").ports(tcp(80)).gets("10.0.0.254"),
            allocate("a/s2").ports(tcp(80)).gets("10.0.0.253"),
            allocate("a/s3").ports(tcp(443)).gets("10.0.0.254")),
        scenario("a full pool can still be shared",
            Map.of("cidr-global", "10.0.0.1/32", "allow-share-global", "true"),
            allocate("a/s1").ports(tcp(80)).gets("10.0.0.1"),
            allocate("a/s2").ports(tcp(443)).gets("10.0.0.1"),
            allocate("a/s3").ports(tcp(80)).refused(POOL_EXHAUSTED, "[global] cidr [10.0.0.1/32]")),
        scenario("a shared address stays used until its last holder goes",
            Map.of("range-global", "10.0.0.1-10.0.0.3", "allow-share-global", "true"),
            allocate("a/s1").ports(tcp(80)).gets("10.0.0.1"),
            allocate("a/s2").ports(tcp(443)).gets("10.0.0.1"),
            release("a/s1"),
            allocate("a/s3").noPorts().gets("10.0.0.2"),
            release("a/s2"),
            allocate("a/s4").noPorts().gets("10.0.0.1")),
        scenario("turning sharing off keeps existing sharers and stops new sharing", shared,
            allocate("a/s1").ports(tcp(80)).gets("10.0.0.1"),
            allocate("a/s2").ports(tcp(443)).gets("10.0.0.1"),
            configure(Map.of("cidr-global", "10.0.0.0/24")),
            allocate("a/s2").ports(tcp(443)).gets("10.0.0.1"),
            allocate("a/s3").ports(tcp(8080)).gets("10.0.0.2")));
  }

  static Stream<Scenario> holdsAndReleases() {
    return Stream.of(
        scenario("addresses held by any Service are never allocated",
            Map.of("cidr-global", "10.0.0.0/24"),
            holdUnmanaged("x/other-lb", "10.0.0.1"),
            hold("y/pinned", "10.0.0.2"),
            allocate("a/s1").gets("10.0.0.3"),
            allocate("a/s2").gets("10.0.0.4")),
        scenario("held IPv6 addresses are never allocated",
            Map.of("cidr-global", DUAL),
            holdUnmanaged("x/other-lb", "2001:db8::"),
            hold("y/pinned", "10.0.0.1", "2001:db8::1"),
            allocate("a/s1").requireDualStack(IPV6, IPV4).gets("2001:db8::2", "10.0.0.2")),
        scenario("a held address in another namespace's pool still counts",
            Map.of("cidr-a", "10.0.0.0/24", "cidr-b", "10.0.0.0/24"),
            hold("b/pinned", "10.0.0.1"),
            allocate("a/s1").gets("10.0.0.2")),
        scenario("release frees the address for the next Service",
            Map.of("cidr-global", "10.0.0.0/24"),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("a/s2").gets("10.0.0.2"),
            release("a/s1"),
            release("b/never-existed"),
            allocate("a/s3").gets("10.0.0.1"),
            allocate("a/s4").gets("10.0.0.3")),
        scenario("release frees both addresses of a dual-stack Service",
            Map.of("cidr-global", DUAL),
            allocate("a/s1").requireDualStack(IPV4, IPV6).gets("10.0.0.1", "2001:db8::"),
            release("a/s1"),
            allocate("a/s2").ipv6().gets("2001:db8::"),
            allocate("a/s3").gets("10.0.0.1")),
        scenario("a released Service asking again gets a fresh address",
            Map.of("cidr-global", "10.0.0.0/24"),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("a/s2").gets("10.0.0.2"),
            release("a/s1"),
            hold("x/pinned", "10.0.0.1"),
            allocate("a/s1").gets("10.0.0.3")),
        scenario("releasing a hold frees it",
            Map.of("cidr-global", "10.0.0.0/24"),
            holdUnmanaged("x/other-lb", "10.0.0.1"),
            release("x/other-lb"),
            allocate("a/s1").gets("10.0.0.1")),
        scenario("a new hold replaces the old one",
            Map.of("cidr-global", "10.0.0.0/24"),
            hold("x/pinned", "10.0.0.1"),
            hold("x/pinned", "10.0.0.5"),
            allocate("a/s1").gets("10.0.0.1")),
        scenario("a hold of nothing releases",
            Map.of("cidr-global", "10.0.0.0/24"),
            hold("x/pinned", "10.0.0.1"),
            hold("x/pinned"),
            allocate("a/s1").gets("10.0.0.1")),
        scenario("allocate is idempotent for one owner",
            Map.of("cidr-global", "10.0.0.0/24"),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("a/s1").ports(tcp(443)).gets("10.0.0.1"),
            allocate("a/s2").gets("10.0.0.2")),
        scenario("IPv6 allocate is idempotent for one owner",
            Map.of("cidr-global", "2001:db8::/64"),
            allocate("a/s1").ipv6().gets("2001:db8::"),
            allocate("a/s1").ipv6().gets("2001:db8::"),
            allocate("a/s2").ipv6().gets("2001:db8::1")),
        scenario("a Service that holds addresses gets them back from allocate",
            Map.of("cidr-global", "10.0.0.0/24"),
            hold("a/s1", "10.0.0.7", "2001:db8::7"),
            allocate("a/s1").gets("10.0.0.7", "2001:db8::7"),
            allocate("a/s2").gets("10.0.0.1")),
        scenario("assigned addresses survive a ConfigMap edit",
            Map.of("cidr-global", "10.0.0.0/24"),
            allocate("a/s1").gets("10.0.0.1"),
            configure(Map.of("cidr-global", "10.0.5.0/24")),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("a/s2").gets("10.0.5.1")),
        scenario("two holders of one address whose ports clash are reported",
            Map.of("cidr-global", "10.0.0.0/24"),
            holdWithPorts("x/one", List.of(tcp(80)), false, "10.0.0.9"),
            holdWithPorts("x/two", List.of(tcp(80)), true, "10.0.0.9"),
            holdWithPorts("x/three", List.of(), false, "2001:db8::9"),
            holdWithPorts("x/four", List.of(tcp(443)), true, "2001:db8::9")));
  }

  static Stream<Scenario> badKeys() {
    return Stream.of(
        scenario("a bad namespace key only affects that namespace",
            Map.of("cidr-a", "10.0.0.300/24", "cidr-global", "10.0.1.0/24"),
            allocate("a/s1").refused(INVALID_CONFIG, "key=cidr-a"),
            allocate("b/s1").gets("10.0.1.1")),
        scenario("a bad global CIDR affects every namespace without its own CIDR",
            Map.of("cidr-global", "bogus/24", "cidr-a", "10.0.0.0/24", "range-b", "10.0.2.1-10.0.2.5"),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("b/s1").refused(INVALID_CONFIG, "key=cidr-global")),
        scenario("a reversed range is refused with the reason",
            Map.of("range-a", "10.0.0.9-10.0.0.1", "range-global", "10.0.3.1-10.0.3.2"),
            allocate("a/s1").refused(INVALID_CONFIG, "range start is after its end"),
            allocate("b/s1").gets("10.0.3.1")),
        scenario("an empty value is refused as 'pool is not specified'",
            Map.of("cidr-a", "", "cidr-global", "10.0.0.0/24"),
            allocate("a/s1").refused(INVALID_CONFIG, "pool is not specified"),
            allocate("a/s2").ipv6().refused(INVALID_CONFIG, "pool is not specified"),
            allocate("b/s1").gets("10.0.0.1")),
        scenario("a bad IPv6 value only affects its namespace",
            Map.of("cidr-a", "2001:db8::/129", "cidr-global", "2001:db8:1::/64"),
            allocate("a/s1").ipv6().refused(INVALID_CONFIG, "key=cidr-a"),
            allocate("b/s1").ipv6().gets("2001:db8:1::")),
        scenario("a bad allow-share does not stop allocation",
            Map.of("cidr-global", "10.0.0.0/24", "allow-share-global", "maybe"),
            allocate("a/s1").gets("10.0.0.1")),
        scenario("a Service keeps its address when its pool turns bad",
            Map.of("cidr-global", "10.0.0.0/24"),
            allocate("a/s1").gets("10.0.0.1"),
            configure(Map.of("cidr-global", "bogus")),
            allocate("a/s1").gets("10.0.0.1"),
            allocate("a/s2").refused(INVALID_CONFIG, "key=cidr-global"),
            configure(Map.of("cidr-global", "10.0.0.0/24")),
            allocate("a/s2").gets("10.0.0.2")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("poolSelection")
  void picksThePoolInKubeVipOrder(Scenario scenario) {
    Scenarios.play(scenario);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("excludedAddresses")
  void neverHandsOutDotZeroOrDot255(Scenario scenario) {
    Scenarios.play(scenario);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("skipEnd")
  void skipsTheEndsOfMergedCidrBlocks(Scenario scenario) {
    Scenarios.play(scenario);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("searchOrder")
  void searchesUpwardsOrDownwards(Scenario scenario) {
    Scenarios.play(scenario);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dhcp")
  void givesEveryServiceTheDhcpPlaceholder(Scenario scenario) {
    Scenarios.play(scenario);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("singleStack")
  void choosesTheFamilyForSingleStack(Scenario scenario) {
    Scenarios.play(scenario);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dualStack")
  void allocatesOnePerFamilyForDualStack(Scenario scenario) {
    Scenarios.play(scenario);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sharing")
  void sharesIpv4AddressesWhosePortsDoNotClash(Scenario scenario) {
    Scenarios.play(scenario);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("holdsAndReleases")
  void respectsHoldsAndReleases(Scenario scenario) {
    Scenarios.play(scenario);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badKeys")
  void confinesABadKeyToTheNamespacesThatSelectIt(Scenario scenario) {
    Scenarios.play(scenario);
  }

  @Test
  void decideIsPureAndLeavesTheBookAlone() {
    KubeVipConfig config = KubeVipConfig.parse(Map.of("cidr-global", DUAL));
    AddressBook book = new AddressBook();
    book.put(new Holding(owner("x/pinned"), List.of(IpAddress.parse("10.0.0.1")), List.of(tcp(80)), true));
    AllocationRequest request =
        new AllocationRequest(owner("a/s1"), List.of(IPV6, IPV4), FamilyPolicy.REQUIRE_DUAL_STACK, List.of(tcp(80)));

    AllocationOutcome first = Allocator.decide(config, book, request);
    AllocationOutcome second = Allocator.decide(config, book, request);

    assertThat(first).isEqualTo(second);
    assertThat(((Allocated) first).addresses()).map(IpAddress::toString).containsExactly("2001:db8::", "10.0.0.2");
    assertThat(book.holding(owner("a/s1"))).isEmpty();
    assertThat(book.holdings()).hasSize(1);
    assertThat(book.isFree(IpAddress.parse("10.0.0.2"))).isTrue();
  }

  @Test
  void reportsTheServiceInterfaceAndPoolKey() {
    KubeVipConfig config =
        KubeVipConfig.parse(
            Map.of("cidr-global", "10.0.0.0/24", "interface-a", "eth1", "interface-global", "eth0"));

    Allocated inA = (Allocated) Allocator.decide(config, new AddressBook(), request("a/s1"));
    Allocated inB = (Allocated) Allocator.decide(config, new AddressBook(), request("b/s1"));

    assertThat(inA.serviceInterface()).contains("eth1");
    assertThat(inA.pool()).isEqualTo("cidr-global");
    assertThat(inB.serviceInterface()).contains("eth0");
  }

  @Test
  void notesWhyPreferDualStackGotOneFamily() {
    KubeVipConfig config = KubeVipConfig.parse(Map.of("cidr-global", "10.0.0.0/24"));
    AllocationRequest request =
        new AllocationRequest(owner("a/s1"), List.of(IPV6, IPV4), FamilyPolicy.PREFER_DUAL_STACK, List.of());

    Allocated allocated = (Allocated) Allocator.decide(config, new AddressBook(), request);

    assertThat(allocated.addresses()).map(IpAddress::toString).containsExactly("10.0.0.1");
    assertThat(allocated.notes()).singleElement().asString().contains("IPv6");
  }

  private static AllocationRequest request(String service) {
    return new AllocationRequest(owner(service), List.of(), FamilyPolicy.SINGLE_STACK, List.of(tcp(80)));
  }
}
