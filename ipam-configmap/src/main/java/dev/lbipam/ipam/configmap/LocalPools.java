package dev.lbipam.ipam.configmap;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.ConfigProblem;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.PoolStats;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * kube-vip's pools and the cluster's holdings, with the decision over them: the whole logic of the
 * ConfigMap backend, which backends that add shared state (Redis) compose rather than copy. Not
 * thread-safe; the backend that owns it serialises access.
 */
public final class LocalPools {
  private final AddressBook book = new AddressBook();
  private KubeVipConfig config = KubeVipConfig.empty();

  /** Replaces the pools with those of the ConfigMap data; returns what was wrong in it. */
  public List<ConfigProblem> configure(Optional<Map<String, String>> poolConfig) {
    config = KubeVipConfig.parse(poolConfig.orElse(Map.of()));
    return config.problems();
  }

  public KubeVipConfig config() {
    return config;
  }

  public AddressBook book() {
    return book;
  }

  /** Records what a Service shows; the clashes with other holders come back (the holding stays). */
  public HoldOutcome hold(Holding holding) {
    List<HoldOutcome.Conflict> conflicts = book.put(holding);
    return conflicts.isEmpty() ? new HoldOutcome.Held() : new HoldOutcome.Conflicted(conflicts);
  }

  /** kube-vip's decision for the request over the current pools and holdings; records nothing. */
  public AllocationOutcome decide(AllocationRequest request) {
    return Allocator.decide(config, book, request);
  }

  /** Records an allocation for an owner that holds nothing yet (a repeat decision keeps what it has). */
  public void recordAllocated(AllocationRequest request, AllocationOutcome.Allocated allocated) {
    if (book.holding(request.owner()).isEmpty()) {
      book.put(new Holding(request.owner(), allocated.addresses(), request.ports(), true));
    }
  }

  public List<PoolStats> poolStats() {
    return book.poolStats(config);
  }
}
