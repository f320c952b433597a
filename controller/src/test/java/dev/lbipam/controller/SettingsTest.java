package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SettingsTest {
  static Settings.Flags flags() {
    return new Settings.Flags(null, null, null, null, null, null, null, null, null, null, "me", null, null, null, null, null, null, null, null, null, null);
  }

  @Test
  void defaultsMatchKubeVip() {
    Settings settings = Settings.resolve(flags(), Map.of());
    assertThat(settings.backend()).isEqualTo("configmap");
    assertThat(settings.configMapNamespace()).isEqualTo("kube-system");
    assertThat(settings.configMapName()).isEqualTo("kubevip");
    assertThat(settings.loadBalancerClassOnly()).isFalse();
    assertThat(settings.loadBalancerClassName()).isEqualTo("kube-vip.io/kube-vip-class");
    assertThat(settings.leaseName()).isEqualTo("kube-vip-cloud-controller");
    assertThat(settings.leaderElect()).isTrue();
    assertThat(settings.addressClaims()).isTrue();
    assertThat(settings.claimGcGrace()).isEqualTo(java.time.Duration.ofSeconds(60));
  }

  @Test
  void kubeVipEnvVarsAreHonouredAndEmptyOnesIgnored() {
    Settings settings =
        Settings.resolve(
            flags(),
            Map.of(
                "KUBEVIP_NAMESPACE", "lb-system",
                "KUBEVIP_CONFIG_MAP", "",
                "KUBEVIP_ENABLE_LOADBALANCERCLASS", "true",
                "KUBEVIP_CUSTOM_LOADBALANCERCLASS_NAME", "example.com/lb"));
    assertThat(settings.configMapNamespace()).isEqualTo("lb-system");
    assertThat(settings.configMapName()).isEqualTo("kubevip");
    assertThat(settings.loadBalancerClassOnly()).isTrue();
    assertThat(settings.loadBalancerClassName()).isEqualTo("example.com/lb");
  }

  @Test
  void flagsWinOverEnv() {
    Settings.Flags flags =
        new Settings.Flags(null, "configmap", "c1", "ns-flag", "cm-flag", "false", null, false, null, null, "me", null, 9090, 2, null, null, null, null,
            List.of("a=b"), false, java.time.Duration.ofSeconds(7));
    Settings settings = Settings.resolve(flags, Map.of("KUBEVIP_NAMESPACE", "ns-env", "KUBEVIP_ENABLE_LOADBALANCERCLASS", "true"));
    assertThat(settings.configMapNamespace()).isEqualTo("ns-flag");
    assertThat(settings.configMapName()).isEqualTo("cm-flag");
    assertThat(settings.loadBalancerClassOnly()).isFalse();
    assertThat(settings.leaderElect()).isFalse();
    assertThat(settings.addressClaims()).isFalse();
    assertThat(settings.claimGcGrace()).isEqualTo(java.time.Duration.ofSeconds(7));
    assertThat(settings.httpPort()).isEqualTo(9090);
    assertThat(settings.backendOptions()).containsEntry("a", "b");
  }

  record Case(String description, String value, Boolean expected) {
    @Override
    public String toString() {
      return description;
    }
  }

  static Stream<Case> booleans() {
    return Stream.of(
        new Case("true", "true", true),
        new Case("1", "1", true),
        new Case("T", "T", true),
        new Case("False", "False", false),
        new Case("0", "0", false),
        new Case("yes is not Go's boolean", "yes", null),
        new Case("trailing space", "true ", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("booleans")
  void loadBalancerClassFlagUsesGoBooleanSyntaxAndRejectsTheRest(Case c) {
    Map<String, String> env = Map.of("KUBEVIP_ENABLE_LOADBALANCERCLASS", c.value());
    if (c.expected() == null) {
      assertThatThrownBy(() -> Settings.resolve(flags(), env))
          .isInstanceOf(Settings.InvalidSettingsException.class)
          .hasMessageContaining("KUBEVIP_ENABLE_LOADBALANCERCLASS")
          .hasMessageContaining(c.value());
    } else {
      assertThat(Settings.resolve(flags(), env).loadBalancerClassOnly()).isEqualTo(c.expected());
    }
  }

  @Test
  void aZeroMaintenanceIntervalIsRefused() {
    Settings.Flags flags =
        new Settings.Flags(null, null, null, null, null, null, null, null, null, null, "me", null, null, null, null, null, null,
            java.time.Duration.ZERO, null, null, null);
    assertThatThrownBy(() -> Settings.resolve(flags, Map.of())).hasMessageContaining("--maintenance-interval");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    Settings.Flags flags =
        new Settings.Flags(null, null, null, null, null, "maybe", null, null, null, null, "me", null, null, 0, null, null, null, null, List.of("novalue"), null, null);
    assertThatThrownBy(() -> Settings.resolve(flags, Map.of()))
        .hasMessageContaining("maybe")
        .hasMessageContaining("--workers")
        .hasMessageContaining("novalue");
  }
}
