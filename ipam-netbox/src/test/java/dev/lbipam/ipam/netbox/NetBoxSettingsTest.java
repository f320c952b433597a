package dev.lbipam.ipam.netbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.IpamBackendFactory;
import dev.lbipam.ipam.spi.IpamException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NetBoxSettingsTest {
  static final String LEGACY = "0123456789abcdef0123456789abcdef01234567";
  static final String V2 = "nbt_abc123.s3cr3tvalue";

  static BackendContext context(String cluster, Map<String, String> options, String token) {
    return new BackendContext(cluster, options, name -> name.equals("netbox-token") ? Optional.ofNullable(token) : Optional.empty());
  }

  @Test
  void theFactoryRefusesAnEmptyClusterIdWithAClearMessage() {
    assertThatThrownBy(() -> new NetBoxBackendFactory().create(context("", Map.of("url", "http://127.0.0.1:1"), LEGACY)))
        .isInstanceOf(IpamException.class)
        .hasMessageContaining("unique cluster id")
        .hasMessageContaining("--cluster-id")
        .satisfies(e -> assertThat(((IpamException) e).retryable()).isFalse());
  }

  @Test
  void theFactoryIsFoundByName() {
    assertThat(ServiceLoader.load(IpamBackendFactory.class).stream().map(p -> p.get().name())).contains("netbox");
  }

  record TokenCase(String description, String secret, String header) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<TokenCase> tokens() {
    return Stream.of(
        new TokenCase("a legacy token gets the Token scheme", LEGACY, "Token " + LEGACY),
        new TokenCase("a v2 token gets the Bearer scheme", V2, "Bearer " + V2),
        new TokenCase("a value with its scheme is kept", "Bearer " + V2, "Bearer " + V2),
        new TokenCase("surrounding whitespace and a newline from the Secret are dropped", LEGACY + "\n", "Token " + LEGACY));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokens")
  void theTokenSchemeFollowsTheTokenFormat(TokenCase c) {
    NetBoxSettings settings = NetBoxSettings.from(context("c1", Map.of("url", "https://netbox.example.com"), c.secret()));
    assertThat(settings.authorization()).isEqualTo(c.header());
  }

  @Test
  void theTokenNeverAppearsInToString() {
    NetBoxSettings settings = NetBoxSettings.from(context("c1", Map.of("url", "https://netbox.example.com"), V2));
    assertThat(settings.toString()).doesNotContain("s3cr3t").doesNotContain("abc123").contains("***").contains("Bearer");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    Map<String, String> options = new HashMap<>();
    options.put("url", "ftp://x");
    options.put("read-timeout", "5s");
    options.put("tag", "has space");
    options.put("retyr-attempts", "3");
    assertThatThrownBy(() -> NetBoxSettings.from(context("bad/id", options, null)))
        .isInstanceOf(IpamException.class)
        .hasMessageContaining("cluster id \"bad/id\"")
        .hasMessageContaining("http:// or https://")
        .hasMessageContaining("read-timeout \"5s\"")
        .hasMessageContaining("tag \"has space\"")
        .hasMessageContaining("unknown option \"retyr-attempts\"")
        .hasMessageContaining("LBIPAM_SECRET_NETBOX_TOKEN");
  }

  @Test
  void theUrlLosesATrailingApiAndSlashes() {
    assertThat(NetBoxSettings.from(context("c", Map.of("url", "https://nb.example.com/api/"), LEGACY)).baseUrl())
        .hasToString("https://nb.example.com");
    assertThat(NetBoxSettings.from(context("c", Map.of("url", "https://nb.example.com/netbox/"), LEGACY)).baseUrl())
        .hasToString("https://nb.example.com/netbox");
  }

  @Test
  void aTokenWithInnerSpacesIsRefused() {
    assertThatThrownBy(() -> NetBoxSettings.from(context("c", Map.of("url", "https://nb"), "abc def")))
        .hasMessageContaining("without spaces")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("abc def"));
  }
}
