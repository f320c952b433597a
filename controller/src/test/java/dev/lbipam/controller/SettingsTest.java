package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SettingsTest {
  static Settings parse(Map<String, String> env, String... args) {
    return Settings.parse(env, args);
  }

  @Test
  void defaultsMatchKubeVip() {
    Settings settings = parse(Map.of());
    assertThat(settings.backend()).isEqualTo("configmap");
    assertThat(settings.clusterId()).isEmpty();
    assertThat(settings.configMapNamespace()).isEqualTo("kube-system");
    assertThat(settings.configMapName()).isEqualTo("kubevip");
    assertThat(settings.loadBalancerClassOnly()).isFalse();
    assertThat(settings.loadBalancerClassName()).isEqualTo("kube-vip.io/kube-vip-class");
    assertThat(settings.leaseNamespace()).isEqualTo("kube-system");
    assertThat(settings.leaseName()).isEqualTo("kube-vip-cloud-controller");
    assertThat(settings.leaderElect()).isTrue();
    assertThat(settings.addressClaims()).isTrue();
    assertThat(settings.bindAddress()).isEqualTo("0.0.0.0");
    assertThat(settings.httpPort()).isEqualTo(8080);
    assertThat(settings.workers()).isEqualTo(4);
    assertThat(settings.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
    assertThat(settings.renewDeadline()).isEqualTo(Duration.ofSeconds(10));
    assertThat(settings.retryPeriod()).isEqualTo(Duration.ofSeconds(2));
    assertThat(settings.maintenanceInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.claimGcGrace()).isEqualTo(Duration.ofSeconds(60));
    assertThat(settings.backendOptions()).isEmpty();
    assertThat(settings.jsonLogs()).isFalse();
    assertThat(settings.kubeconfig()).isEmpty();
  }

  @Test
  void kubeVipEnvVarsAreHonouredAndEmptyOnesIgnored() {
    Settings settings =
        parse(
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
  void ourEnvVarsAreHonoured() {
    Settings settings =
        parse(
            Map.of(
                "LBIPAM_BACKEND", "redis",
                "LBIPAM_CLUSTER_ID", "c9",
                "LBIPAM_LEASE_NAMESPACE", "lbipam",
                "LBIPAM_LEASE_NAME", "lease",
                "LBIPAM_BIND_ADDRESS", "127.0.0.1",
                "LBIPAM_HTTP_PORT", "9999",
                "LBIPAM_WORKERS", "7",
                "LBIPAM_LOG_FORMAT", "json",
                "POD_NAME", "pod-1"));
    assertThat(settings.backend()).isEqualTo("redis");
    assertThat(settings.clusterId()).isEqualTo("c9");
    assertThat(settings.leaseNamespace()).isEqualTo("lbipam");
    assertThat(settings.leaseName()).isEqualTo("lease");
    assertThat(settings.bindAddress()).isEqualTo("127.0.0.1");
    assertThat(settings.httpPort()).isEqualTo(9999);
    assertThat(settings.workers()).isEqualTo(7);
    assertThat(settings.jsonLogs()).isTrue();
    assertThat(settings.identity()).startsWith("pod-1_");
  }

  @Test
  void flagsWinOverEnv() {
    Settings settings =
        parse(
            Map.of("KUBEVIP_NAMESPACE", "ns-env", "KUBEVIP_ENABLE_LOADBALANCERCLASS", "true", "LBIPAM_HTTP_PORT", "1"),
            "--backend=configmap", "--cluster-id=c1", "--config-map-namespace=ns-flag", "--config-map-name=cm-flag",
            "--enable-load-balancer-class=false", "--leader-elect=false", "--identity=me", "--http-port=9090",
            "--workers=2", "--backend-option=a=b", "--backend-option=c=d=e", "--address-claims=false",
            "--claim-gc-grace=PT7S", "--kubeconfig=/tmp/kc");
    assertThat(settings.configMapNamespace()).isEqualTo("ns-flag");
    assertThat(settings.configMapName()).isEqualTo("cm-flag");
    assertThat(settings.loadBalancerClassOnly()).isFalse();
    assertThat(settings.leaderElect()).isFalse();
    assertThat(settings.addressClaims()).isFalse();
    assertThat(settings.claimGcGrace()).isEqualTo(Duration.ofSeconds(7));
    assertThat(settings.httpPort()).isEqualTo(9090);
    assertThat(settings.workers()).isEqualTo(2);
    assertThat(settings.identity()).isEqualTo("me");
    assertThat(settings.backendOptions()).containsEntry("a", "b").containsEntry("c", "d=e");
    assertThat(settings.kubeconfig()).contains(java.nio.file.Path.of("/tmp/kc"));
  }

  @Test
  void theLoadBalancerClassFlagAloneMeansTrue() {
    assertThat(parse(Map.of(), "--enable-load-balancer-class").loadBalancerClassOnly()).isTrue();
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
      assertThatThrownBy(() -> parse(env))
          .isInstanceOf(Settings.InvalidSettingsException.class)
          .hasMessageContaining("KUBEVIP_ENABLE_LOADBALANCERCLASS")
          .hasMessageContaining(c.value());
    } else {
      assertThat(parse(env).loadBalancerClassOnly()).isEqualTo(c.expected());
    }
  }

  @Test
  void aZeroMaintenanceIntervalIsRefused() {
    assertThatThrownBy(() -> parse(Map.of(), "--maintenance-interval=PT0S")).hasMessageContaining("--maintenance-interval");
  }

  @Test
  void aBadEnvNumberNamesTheEnvVar() {
    assertThatThrownBy(() -> parse(Map.of("LBIPAM_HTTP_PORT", "eighty")))
        .hasMessageContaining("--http-port / LBIPAM_HTTP_PORT").hasMessageContaining("eighty");
  }

  @Test
  void anUnknownFlagOrABadDurationIsRefused() {
    assertThatThrownBy(() -> parse(Map.of(), "--no-such-flag")).isInstanceOf(Settings.InvalidSettingsException.class)
        .hasMessageContaining("--no-such-flag");
    assertThatThrownBy(() -> parse(Map.of(), "--lease-duration=15s")).isInstanceOf(Settings.InvalidSettingsException.class)
        .hasMessageContaining("--lease-duration");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThatThrownBy(() -> parse(Map.of("LBIPAM_LOG_FORMAT", "xml"), "--enable-load-balancer-class=maybe", "--workers=0",
        "--backend-option=novalue", "--renew-deadline=PT20S"))
        .hasMessageContaining("maybe")
        .hasMessageContaining("--workers")
        .hasMessageContaining("novalue")
        .hasMessageContaining("renew-deadline")
        .hasMessageContaining("xml");
  }
}
