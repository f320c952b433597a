package dev.lbipam.ipam.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.testsupport.RedisSentinel;
import dev.lbipam.testsupport.RedisServer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The backend finds its master through a real Sentinel, which has no password of its own. */
class RedisSentinelIT {
  @Test
  void allocatesThroughTheMasterASentinelNames() {
    try (RedisServer redis = RedisServer.start();
        RedisSentinel sentinel = RedisSentinel.watching(redis)) {
      Map<String, Optional<String>> secrets =
          Map.of(RedisSettings.SECRET_USERNAME, Optional.of(RedisServer.USER), RedisSettings.SECRET_PASSWORD, Optional.of(redis.password()));
      try (IpamBackend backend =
          new RedisBackendFactory()
              .create(new BackendContext("sent", Map.of(
                      "url", "redis://ignored-with-sentinel:6379",
                      "sentinel-master", RedisSentinel.MASTER,
                      "sentinels", sentinel.address()),
                  n -> secrets.getOrDefault(n, Optional.empty())))) {
        backend.configure(Optional.of(Map.of("cidr-global", "10.8.0.0/30")));
        AllocationOutcome outcome =
            backend.allocate(new AllocationRequest(new OwnerRef("sent", "ns", "svc", "u"), List.of(), FamilyPolicy.SINGLE_STACK, List.of()));
        assertThat(outcome).isInstanceOf(AllocationOutcome.Allocated.class);
        assertThat(((AllocationOutcome.Allocated) outcome).addresses()).containsExactly(IpAddress.parse("10.8.0.1"));
        assertThat(backend.holdings()).hasSize(1);
      }
    }
  }
}
