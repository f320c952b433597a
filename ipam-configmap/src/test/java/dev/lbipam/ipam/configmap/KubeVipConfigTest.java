package dev.lbipam.ipam.configmap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.configmap.KubeVipConfig.PoolSelection;
import dev.lbipam.ipam.spi.ConfigProblem;
import dev.lbipam.ipam.spi.net.IpRange;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class KubeVipConfigTest {

  /** What {@link KubeVipConfig#select} should find for a namespace. */
  sealed interface Expected {}

  record Found(String key, PoolKind kind, String canonical, List<String> blocks, boolean dhcp) implements Expected {}

  record Invalid(String key, String problemFragment) implements Expected {}

  record None() implements Expected {}

  record Case(String description, Map<String, String> data, String namespace, Expected expected) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Case> selection() {
    Map<String, String> allFour =
        Map.of(
            "cidr-a", "10.0.1.0/24",
            "cidr-global", "10.0.2.0/24",
            "range-a", "10.0.3.1-10.0.3.9",
            "range-global", "10.0.4.1-10.0.4.9");
    return Stream.of(
        new Case("cidr-<ns> comes first", allFour, "a", cidr("cidr-a", "10.0.1.0/24", "10.0.1.0-10.0.1.255")),
        new Case("cidr-global comes second", allFour, "b", cidr("cidr-global", "10.0.2.0/24", "10.0.2.0-10.0.2.255")),
        new Case("a global CIDR beats a namespace range",
            Map.of("cidr-global", "10.0.2.0/24", "range-a", "10.0.3.1-10.0.3.9"), "a",
            cidr("cidr-global", "10.0.2.0/24", "10.0.2.0-10.0.2.255")),
        new Case("range-<ns> beats range-global",
            Map.of("range-a", "10.0.3.1-10.0.3.9", "range-global", "10.0.4.1-10.0.4.9"), "a",
            range("range-a", "10.0.3.1-10.0.3.9", "10.0.3.1-10.0.3.9")),
        new Case("range-global is the last resort",
            Map.of("range-b", "10.0.3.1-10.0.3.9", "range-global", "10.0.4.1-10.0.4.9"), "a",
            range("range-global", "10.0.4.1-10.0.4.9", "10.0.4.1-10.0.4.9")),
        new Case("another namespace's pool does not apply", Map.of("cidr-b", "10.0.1.0/24"), "a", new None()),
        new Case("an empty ConfigMap has no pool", Map.of(), "a", new None()),
        new Case("unrelated keys are no pool", Map.of("cidr", "10.0.0.0/24", "pool-global", "10.0.0.0/24"), "a",
            new None()),
        new Case("a value with '/' is CIDRs even under a range key", Map.of("range-global", "10.0.0.0/30"), "a",
            cidr("range-global", "10.0.0.0/30", "10.0.0.0-10.0.0.3")),
        new Case("a value without '/' is ranges even under a cidr key", Map.of("cidr-global", "10.0.0.1-10.0.0.3"), "a",
            range("cidr-global", "10.0.0.1-10.0.0.3", "10.0.0.1-10.0.0.3")),
        new Case("CIDR entries are trimmed and merged", Map.of("cidr-global", " 10.0.0.0/24, 10.0.1.0/24 "), "a",
            cidr("cidr-global", "10.0.0.0/23", "10.0.0.0-10.0.1.255")),
        new Case("range entries are trimmed and merged",
            Map.of("range-global", "10.0.0.1-10.0.0.2 ,  10.0.0.3-10.0.0.4"), "a",
            range("range-global", "10.0.0.1-10.0.0.4", "10.0.0.1-10.0.0.4")),
        new Case("overlapping ranges merge", Map.of("range-global", "10.0.0.5-10.0.0.9,10.0.0.1-10.0.0.6"), "a",
            range("range-global", "10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9")),
        new Case("A-A is one address", Map.of("range-global", "10.0.0.7-10.0.0.7"), "a",
            range("range-global", "10.0.0.7-10.0.0.7", "10.0.0.7-10.0.0.7")),
        new Case("host bits are masked: .200/29", Map.of("cidr-global", "192.168.0.200/29"), "a",
            cidr("cidr-global", "192.168.0.200/29", "192.168.0.200-192.168.0.207")),
        new Case("host bits are masked: .205/29", Map.of("cidr-global", "192.168.0.205/29"), "a",
            cidr("cidr-global", "192.168.0.200/29", "192.168.0.200-192.168.0.207")),
        new Case("a contained CIDR disappears", Map.of("cidr-global", "10.0.0.0/24,10.0.0.128/25"), "a",
            cidr("cidr-global", "10.0.0.0/24", "10.0.0.0-10.0.0.255")),
        new Case("IPv4 and IPv6 CIDRs in one value", Map.of("cidr-global", "2001:db8::/64,10.0.0.0/24"), "a",
            cidr("cidr-global", "10.0.0.0/24,2001:db8::/64", "10.0.0.0-10.0.0.255",
                "2001:db8::-2001:db8::ffff:ffff:ffff:ffff")),
        new Case("IPv4 and IPv6 ranges in one value",
            Map.of("range-global", "2001:db8::1-2001:db8::5,10.0.0.1-10.0.0.5"), "a",
            range("range-global", "10.0.0.1-10.0.0.5,2001:db8::1-2001:db8::5", "10.0.0.1-10.0.0.5",
                "2001:db8::1-2001:db8::5")),
        new Case("IPv6 /65 halves merge into a /64", Map.of("cidr-a", "2001:db8:0:0:8000::/65,2001:db8::/65"), "a",
            cidr("cidr-a", "2001:db8::/64", "2001:db8::-2001:db8::ffff:ffff:ffff:ffff")),
        new Case("skip-end drops the ends of the merged block",
            Map.of("cidr-global", "10.0.0.8/30,10.0.0.12/30", "skip-end-ips-in-cidr", "true"), "a",
            cidr("cidr-global", "10.0.0.8/29", "10.0.0.9-10.0.0.14")),
        new Case("skip-end acts on each prefix of an unaligned set",
            Map.of("cidr-global", "10.0.0.8/30,10.0.0.12/31", "skip-end-ips-in-cidr", "true"), "a",
            cidr("cidr-global", "10.0.0.8/30,10.0.0.12/31", "10.0.0.9-10.0.0.10", "10.0.0.12-10.0.0.13")),
        new Case("skip-end keeps both addresses of a /31",
            Map.of("cidr-global", "10.0.0.10/31", "skip-end-ips-in-cidr", "true"), "a",
            cidr("cidr-global", "10.0.0.10/31", "10.0.0.10-10.0.0.11")),
        new Case("skip-end keeps the one address of a /32",
            Map.of("cidr-global", "10.0.0.10/32", "skip-end-ips-in-cidr", "true"), "a",
            cidr("cidr-global", "10.0.0.10/32", "10.0.0.10-10.0.0.10")),
        new Case("skip-end leaves IPv6 alone",
            Map.of("cidr-global", "2001:db8::/126,10.0.0.0/30", "skip-end-ips-in-cidr", "true"), "a",
            cidr("cidr-global", "10.0.0.0/30,2001:db8::/126", "10.0.0.1-10.0.0.2", "2001:db8::-2001:db8::3")),
        new Case("skip-end leaves ranges alone",
            Map.of("range-global", "10.0.0.1-10.0.0.4", "skip-end-ips-in-cidr", "true"), "a",
            range("range-global", "10.0.0.1-10.0.0.4", "10.0.0.1-10.0.0.4")),
        new Case("skip-end needs exactly 'true'",
            Map.of("cidr-global", "10.0.0.8/30", "skip-end-ips-in-cidr", "True"), "a",
            cidr("cidr-global", "10.0.0.8/30", "10.0.0.8-10.0.0.11")),
        new Case("0.0.0.0/32 is DHCP", Map.of("cidr-global", "0.0.0.0/32"), "a",
            new Found("cidr-global", PoolKind.CIDR, "0.0.0.0/32", List.of(), true)),
        new Case("0.0.0.0/32 under a range key is DHCP too", Map.of("range-a", "0.0.0.0/32"), "a",
            new Found("range-a", PoolKind.CIDR, "0.0.0.0/32", List.of(), true)),
        new Case("0.0.0.0/32 with another CIDR is not DHCP", Map.of("cidr-global", "0.0.0.0/32,10.0.0.4/30"), "a",
            cidr("cidr-global", "0.0.0.0/32,10.0.0.4/30", "0.0.0.0-0.0.0.0", "10.0.0.4-10.0.0.7")),
        new Case("an empty value is 'pool is not specified'", Map.of("cidr-global", ""), "a",
            new Invalid("cidr-global", "pool is not specified")),
        new Case("a blank value is 'pool is not specified'", Map.of("range-a", "  "), "a",
            new Invalid("range-a", "pool is not specified")),
        new Case("only commas is 'pool is not specified'", Map.of("cidr-a", " , "), "a",
            new Invalid("cidr-a", "pool is not specified")),
        new Case("an empty namespace value does not fall back to global",
            Map.of("cidr-a", "", "cidr-global", "10.0.0.0/24"), "a", new Invalid("cidr-a", "pool is not specified")),
        new Case("a /33 is invalid", Map.of("cidr-global", "10.0.0.0/33"), "a",
            new Invalid("cidr-global", "prefix length out of range")),
        new Case("a reversed range is invalid", Map.of("range-global", "10.0.0.9-10.0.0.1"), "a",
            new Invalid("range-global", "start is after its end")),
        new Case("a range of two families is invalid", Map.of("range-global", "10.0.0.1-2001:db8::1"), "a",
            new Invalid("range-global", "mixes families")),
        new Case("a range inside a CIDR value is invalid", Map.of("cidr-global", "10.0.0.0/24,10.0.1.1-10.0.1.5"), "a",
            new Invalid("cidr-global", "not a CIDR")),
        new Case("a hostname is invalid", Map.of("range-global", "lb-1.example.com-lb-2.example.com"), "a",
            new Invalid("range-global", "not a range")),
        new Case("a bad namespace key is that namespace's problem",
            Map.of("cidr-a", "10.0.0.300/24", "cidr-global", "10.0.1.0/24"), "a",
            new Invalid("cidr-a", "not an IPv4 address")),
        new Case("a bad namespace key does not affect another namespace",
            Map.of("cidr-a", "10.0.0.300/24", "cidr-global", "10.0.1.0/24"), "b",
            cidr("cidr-global", "10.0.1.0/24", "10.0.1.0-10.0.1.255")),
        new Case("a bad global CIDR shadows a namespace range",
            Map.of("cidr-global", "bogus/24", "range-a", "10.0.3.1-10.0.3.9"), "a",
            new Invalid("cidr-global", "not an IPv4 address")),
        new Case("a bad global CIDR does not shadow a namespace CIDR",
            Map.of("cidr-global", "bogus/24", "cidr-a", "10.0.3.0/24"), "a",
            cidr("cidr-a", "10.0.3.0/24", "10.0.3.0-10.0.3.255")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("selection")
  void selectsThePoolKubeVipWould(Case c) {
    PoolSelection selection = KubeVipConfig.parse(c.data()).select(c.namespace());

    if (c.expected() instanceof Found found) {
      assertThat(selection).isInstanceOf(PoolSelection.Found.class);
      Pool pool = ((PoolSelection.Found) selection).pool();
      assertThat(pool.key()).isEqualTo(found.key());
      assertThat(pool.kind()).isEqualTo(found.kind());
      assertThat(pool.canonical()).isEqualTo(found.canonical());
      assertThat(pool.blocks()).map(IpRange::toString).containsExactlyElementsOf(found.blocks());
      assertThat(pool.dhcp()).isEqualTo(found.dhcp());
    } else if (c.expected() instanceof Invalid invalid) {
      assertThat(selection).isInstanceOf(PoolSelection.Invalid.class);
      ConfigProblem problem = ((PoolSelection.Invalid) selection).problem();
      assertThat(problem.key()).isEqualTo(invalid.key());
      assertThat(problem.value()).isEqualTo(c.data().get(invalid.key()));
      assertThat(problem.problem()).contains(invalid.problemFragment());
    } else {
      assertThat(selection).isInstanceOf(PoolSelection.None.class);
    }
  }

  record FlagCase(
      String description,
      Map<String, String> data,
      String namespace,
      boolean descending,
      boolean skipEnd,
      boolean sharing,
      Optional<String> serviceInterface,
      List<String> problemKeys) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<FlagCase> flags() {
    return Stream.of(
        flag("nothing set", Map.of(), "a", false, false, false, null),
        flag("search-order desc", Map.of("search-order", "desc"), "a", true, false, false, null),
        flag("search-order DESC is not desc", Map.of("search-order", "DESC"), "a", false, false, false, null),
        flag("search-order asc", Map.of("search-order", "asc"), "a", false, false, false, null),
        flag("skip-end true", Map.of("skip-end-ips-in-cidr", "true"), "a", false, true, false, null),
        flag("skip-end 1 is not true", Map.of("skip-end-ips-in-cidr", "1"), "a", false, false, false, null),
        flag("allow-share-global true", Map.of("allow-share-global", "true"), "a", false, false, true, null),
        flag("allow-share-global accepts Go's 1", Map.of("allow-share-global", "1"), "a", false, false, true, null),
        flag("allow-share-global accepts Go's T", Map.of("allow-share-global", "T"), "a", false, false, true, null),
        flag("allow-share-global accepts TRUE", Map.of("allow-share-global", "TRUE"), "a", false, false, true, null),
        flag("allow-share-<ns> false is read before global true",
            Map.of("allow-share-a", "false", "allow-share-global", "true"), "a", false, false, false, null),
        flag("allow-share-<ns> of another namespace is ignored",
            Map.of("allow-share-a", "false", "allow-share-global", "true"), "b", false, false, true, null),
        flag("allow-share-<ns> true is read before global false",
            Map.of("allow-share-a", "true", "allow-share-global", "false"), "a", false, false, true, null),
        flag("unparsable allow-share-global counts as false", Map.of("allow-share-global", "yes"), "a", false, false,
            false, null, "allow-share-global"),
        flag("unparsable allow-share-<ns> counts as false and does not fall back",
            Map.of("allow-share-a", "yes", "allow-share-global", "true"), "a", false, false, false, null,
            "allow-share-a"),
        flag("interface-<ns> first", Map.of("interface-a", "eth1", "interface-global", "eth0"), "a", false, false,
            false, "eth1"),
        flag("interface-global as fallback", Map.of("interface-a", "eth1", "interface-global", "eth0"), "b", false,
            false, false, "eth0"),
        flag("an empty interface is none", Map.of("interface-global", ""), "a", false, false, false, null),
        flag("every problem is collected",
            Map.of("cidr-a", "x", "range-b", "10.0.0.2-10.0.0.1", "allow-share-c", "maybe", "cidr-global", "",
                "cidr-d", "10.0.0.0/24"),
            "d", false, false, false, null, "allow-share-c", "cidr-a", "cidr-global", "range-b"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("flags")
  void readsTheGlobalFlags(FlagCase c) {
    KubeVipConfig config = KubeVipConfig.parse(c.data());

    assertThat(config.descending()).isEqualTo(c.descending());
    assertThat(config.skipEnd()).isEqualTo(c.skipEnd());
    assertThat(config.sharingAllowed(c.namespace())).isEqualTo(c.sharing());
    assertThat(config.serviceInterface(c.namespace())).isEqualTo(c.serviceInterface());
    assertThat(config.problems()).map(ConfigProblem::key).containsExactlyInAnyOrderElementsOf(c.problemKeys());
  }

  @Test
  void aNullValueIsTreatedAsEmpty() {
    Map<String, String> data = new HashMap<>();
    data.put("cidr-global", null);

    PoolSelection selection = KubeVipConfig.parse(data).select("a");

    assertThat(selection).isInstanceOf(PoolSelection.Invalid.class);
    assertThat(((PoolSelection.Invalid) selection).problem().problem()).isEqualTo("pool is not specified");
  }

  private static Found cidr(String key, String canonical, String... blocks) {
    return new Found(key, PoolKind.CIDR, canonical, List.of(blocks), false);
  }

  private static Found range(String key, String canonical, String... blocks) {
    return new Found(key, PoolKind.RANGE, canonical, List.of(blocks), false);
  }

  private static FlagCase flag(
      String description,
      Map<String, String> data,
      String namespace,
      boolean descending,
      boolean skipEnd,
      boolean sharing,
      String serviceInterface,
      String... problemKeys) {
    return new FlagCase(
        description, data, namespace, descending, skipEnd, sharing, Optional.ofNullable(serviceInterface),
        List.of(problemKeys));
  }
}
