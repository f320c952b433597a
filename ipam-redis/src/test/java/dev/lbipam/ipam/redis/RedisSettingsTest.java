package dev.lbipam.ipam.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.IpamException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RedisSettingsTest {
  static BackendContext context(String cluster, Map<String, String> options) {
    return new BackendContext(cluster, options,
        name -> name.equals(RedisSettings.SECRET_PASSWORD) ? Optional.of("s3cret-value") : Optional.empty());
  }

  @Test
  void refusesToStartWithoutAClusterId() {
    assertThatThrownBy(() -> RedisSettings.from(context("", Map.of("url", "redis://127.0.0.1:6379"))))
        .isInstanceOf(IpamException.class)
        .hasMessageContaining("cluster id");
  }

  @Test
  void refusesCredentialsInTheUrlWithoutEchoingThem() {
    assertThatThrownBy(() -> RedisSettings.from(context("c1", Map.of("url", "redis://u:hunter2@127.0.0.1:6379"))))
        .hasMessageContaining("must not carry credentials")
        .message().doesNotContain("hunter2");
  }

  @Test
  void aMistypedOptionIsRefusedByName() {
    assertThatThrownBy(() -> RedisSettings.from(context("c1", Map.of("url", "redis://h:1", "gc-grase", "PT1M"))))
        .hasMessageContaining("unknown option \"gc-grase\"");
  }

  @Test
  void reportsEveryProblemAtOnce() {
    assertThatThrownBy(() -> RedisSettings.from(context("", Map.of("url", "http://x", "timeout", "2s", "address-space", "a{b}"))))
        .hasMessageContaining("cluster id")
        .hasMessageContaining("redis://")
        .hasMessageContaining("PT2S")
        .hasMessageContaining("braces");
  }

  @Test
  void passwordComesFromTheSecretAndNeverFromToString() {
    RedisSettings settings =
        RedisSettings.from(context("c1", Map.of("url", "rediss://redis.example:6380", "gc-grace", "PT1M", "address-space", "lab")));
    assertThat(settings.password()).contains("s3cret-value");
    assertThat(settings.toString()).doesNotContain("s3cret-value").contains("password=***");
    assertThat(settings.tls()).isTrue();
    assertThat(settings.gcGrace()).isEqualTo(Duration.ofMinutes(1));
    assertThat(settings.addressSpace()).isEqualTo("lab");
  }
}
