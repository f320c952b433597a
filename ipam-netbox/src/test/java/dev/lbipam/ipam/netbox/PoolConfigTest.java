package dev.lbipam.ipam.netbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PoolConfigTest {

  record Case(String description, Map<String, String> data, String namespace, List<String> expected) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Case> selections() {
    Map<String, String> both = Map.of(
        "netbox-prefix-global", "10.0.0.0/24, 10.0.1.0/24",
        "netbox-range-global", "10.0.2.10-10.0.2.20",
        "netbox-prefix-team", "10.1.0.0/24",
        "netbox-range-team", "#5",
        "netbox-range-other", "10.3.0.1-10.3.0.9");
    return Stream.of(
        new Case("a namespace without keys uses global prefixes, then global ranges", both, "default",
            List.of("netbox-prefix-global:10.0.0.0/24", "netbox-prefix-global:10.0.1.0/24",
                "netbox-range-global:10.0.2.10-10.0.2.20")),
        new Case("a namespace with keys uses its prefixes then its ranges, never the global ones", both, "team",
            List.of("netbox-prefix-team:10.1.0.0/24", "netbox-range-team:#5")),
        new Case("a namespace range alone beats the global prefix", both, "other",
            List.of("netbox-range-other:10.3.0.1-10.3.0.9")),
        new Case("no keys at all selects nothing", Map.of(), "default", List.of()),
        new Case("a bad entry is skipped; the rest of the key stays usable",
            Map.of("netbox-prefix-global", "10.0.0.0/33, 10.0.1.0/24"), "x", List.of("netbox-prefix-global:10.0.1.0/24")),
        new Case("duplicates are tried once", Map.of("netbox-prefix-global", "10.0.0.0/24,10.0.0.0/24"), "x",
            List.of("netbox-prefix-global:10.0.0.0/24")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("selections")
  void selectsPoolsInOrder(Case c) {
    PoolConfig config = PoolConfig.parse(c.data());
    assertThat(config.select(c.namespace()).entries()).map(PoolConfig.Entry::toString).containsExactlyElementsOf(c.expected());
  }

  @Test
  void everyProblemNamesItsKeyAndValue() {
    PoolConfig config = PoolConfig.parse(Map.of(
        "netbox-prefix-bad", "10.0.0.0/33, 10.0.1.0/24",
        "netbox-range-global", "  ",
        "netbox-prefix-", "10.0.0.0/24",
        "cidr-global", "10.9.0.0/24"));
    assertThat(config.problems()).extracting(p -> p.key()).containsExactlyInAnyOrder(
        "netbox-prefix-bad", "netbox-range-global", "netbox-prefix-", "cidr-global");
    assertThat(config.problems()).filteredOn(p -> p.key().equals("netbox-prefix-bad")).singleElement()
        .satisfies(p -> assertThat(p.problem()).contains("10.0.0.0/33"));
    assertThat(config.problems()).filteredOn(p -> p.key().equals("cidr-global")).singleElement()
        .satisfies(p -> assertThat(p.problem()).contains("ignored by the netbox backend"));
    assertThat(config.select("bad").problems()).as("its own key's, and the cidr- key kube-vip would use")
        .extracting(p -> p.key()).containsExactlyInAnyOrder("netbox-prefix-bad", "cidr-global");
    assertThat(config.select("bad").entries()).hasSize(1);
  }

  @Test
  void keysNetBoxModeDoesNotActOnAreReportedNotIgnoredSilently() {
    PoolConfig config = PoolConfig.parse(Map.of(
        "netbox-prefix-global", "10.0.0.0/24",
        "allow-share-team", "true",
        "search-order", "desc",
        "skip-end-ips-in-cidr", "true",
        "interface-global", "eth0"));
    assertThat(config.problems()).extracting(p -> p.key())
        .containsExactlyInAnyOrder("allow-share-team", "search-order", "skip-end-ips-in-cidr");
    assertThat(config.problems()).allSatisfy(p -> assertThat(p.problem()).startsWith("ignored by the netbox backend"));
    assertThat(config.problems()).filteredOn(p -> p.key().equals("search-order")).singleElement()
        .satisfies(p -> assertThat(p.value()).isEqualTo("desc"));
    assertThat(config.select("team").entries()).hasSize(1);
    assertThat(config.select("team").problems()).as("what kube-vip would apply to team, so its Services are warned")
        .extracting(p -> p.key()).containsExactlyInAnyOrder("allow-share-team", "search-order", "skip-end-ips-in-cidr");
    assertThat(config.select("other").problems()).extracting(p -> p.key())
        .containsExactlyInAnyOrder("search-order", "skip-end-ips-in-cidr");
  }

  @Test
  void interfacesFollowKubeVip() {
    PoolConfig config = PoolConfig.parse(Map.of("interface-global", "eth0", "interface-team", "eth1"));
    assertThat(config.serviceInterface("team")).contains("eth1");
    assertThat(config.serviceInterface("other")).contains("eth0");
  }
}
