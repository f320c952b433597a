package dev.lbipam.ipam.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.RejectReason;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.testsupport.RedisServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** rediss:// with a private CA: works when the CA is given, refuses an untrusted server otherwise. */
class RedisTlsIT {
  RedisServer redis;

  @BeforeEach
  void start() {
    redis = RedisServer.startWithTls();
  }

  @AfterEach
  void stop() {
    redis.close();
  }

  IpamBackend backend(Map<String, String> extra) {
    Map<String, String> options = new HashMap<>(Map.of("url", redis.url(), "timeout", "PT1S"));
    options.putAll(extra);
    Map<String, Optional<String>> secrets =
        Map.of(RedisSettings.SECRET_USERNAME, Optional.of(RedisServer.USER), RedisSettings.SECRET_PASSWORD, Optional.of(redis.password()));
    IpamBackend backend =
        new RedisBackendFactory().create(new BackendContext("tls", options, n -> secrets.getOrDefault(n, Optional.empty())));
    backend.configure(Optional.of(Map.of("cidr-global", "10.9.0.0/30")));
    return backend;
  }

  static AllocationRequest request() {
    return new AllocationRequest(new OwnerRef("tls", "ns", "svc", "uid"), List.of(), FamilyPolicy.SINGLE_STACK, List.of());
  }

  @Test
  void allocatesOverTlsWithTheCustomCa() {
    try (IpamBackend backend = backend(Map.of("tls-ca-file", redis.caCertificate().toString()))) {
      AllocationOutcome outcome = backend.allocate(request());
      assertThat(outcome).isEqualTo(new AllocationOutcome.Allocated(List.of(IpAddress.parse("10.9.0.1")), "cidr-global", Optional.empty(), List.of()));
    }
  }

  @Test
  void refusesAServerItCannotVerify() {
    try (IpamBackend backend = backend(Map.of())) {
      AllocationOutcome outcome = backend.allocate(request());
      assertThat(outcome).isInstanceOf(AllocationOutcome.Rejected.class);
      assertThat(((AllocationOutcome.Rejected) outcome).reason()).isEqualTo(RejectReason.BACKEND_UNAVAILABLE);
    }
  }
}
