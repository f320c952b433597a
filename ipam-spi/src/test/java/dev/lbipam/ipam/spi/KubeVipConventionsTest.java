package dev.lbipam.ipam.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KubeVipConventionsTest {
  @ParameterizedTest(name = "\"{0}\" -> {1}")
  @CsvSource(value = {
      "1,true", "t,true", "T,true", "TRUE,true", "true,true", "True,true",
      "0,false", "f,false", "F,false", "FALSE,false", "false,false", "False,false",
      "yes,NONE", "tRuE,NONE", "' true',NONE", "'',NONE"}, nullValues = "NONE")
  void booleansFollowGosParseBool(String text, Boolean expected) {
    assertThat(KubeVipConventions.parseBool(text)).isEqualTo(java.util.Optional.ofNullable(expected));
  }

  @Test
  void listEntriesAreTrimmedAndEmptyOnesKept() {
    assertThat(KubeVipConventions.listEntries(" a, b ,,c")).containsExactly("a", "b", "", "c");
    assertThat(KubeVipConventions.listEntries("")).containsExactly("");
  }

  @Test
  void scopedValuesSkipOtherKeysAndEmptyValues() {
    Map<String, String> data = Map.of("interface-global", "eth0", "interface-team", "", "interface-web", "eth1",
        "cidr-global", "10.0.0.0/24");
    assertThat(KubeVipConventions.scopedValues(data, KubeVipConventions.INTERFACE_KEY))
        .containsOnly(Map.entry("global", "eth0"), Map.entry("web", "eth1"));
  }

  @Test
  void aNamespacesOwnValueWinsOverTheGlobalOne() {
    Map<String, String> byScope = Map.of("global", "eth0", "web", "eth1");
    assertThat(KubeVipConventions.forNamespace(byScope, "web")).contains("eth1");
    assertThat(KubeVipConventions.forNamespace(byScope, "other")).contains("eth0");
    assertThat(KubeVipConventions.forNamespace(Map.of("web", "eth1"), "other")).isEmpty();
  }

  @Test
  void onlyTheIpv4UnspecifiedAddressIsTheDhcpPlaceholder() {
    assertThat(KubeVipConventions.isDhcpPlaceholder(IpAddress.parse("0.0.0.0"))).isTrue();
    assertThat(KubeVipConventions.isDhcpPlaceholder(IpAddress.parse("::"))).isFalse();
    assertThat(KubeVipConventions.isDhcpPlaceholder(IpAddress.parse("10.0.0.1"))).isFalse();
  }
}
