package dev.lbipam.controller;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lbipam.ipam.spi.BackendContext;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.IpamException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackendLoaderTest {
  static BackendContext context(String cluster) {
    return new BackendContext(cluster, Map.of(), name -> Optional.empty());
  }

  @Test
  void anUnknownBackendFailsStartUpListingTheAvailableOnes() {
    assertThatThrownBy(() -> BackendLoader.create("etcd", context("")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("unknown IPAM backend \"etcd\"")
        .hasMessageContaining("[configmap, netbox, redis]");
  }

  @Test
  void theDefaultBackendNeedsNoClusterId() {
    try (IpamBackend backend = BackendLoader.create("configmap", context(""))) {
      assertThat(backend.health().available()).isTrue();
    }
  }

  @Test
  void sharedBackendsRefuseToStartWithoutAClusterId() {
    assertThatThrownBy(() -> BackendLoader.create("redis", context(""))).isInstanceOf(IpamException.class).hasMessageContaining("cluster id");
    assertThatThrownBy(() -> BackendLoader.create("netbox", context(""))).hasMessageContaining("cluster");
  }
}
