package dev.lbipam.ipam.configmap;

import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendHealth;
import dev.lbipam.ipam.spi.ConfigProblem;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PoolStats;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The default backend. Its whole state is derived from the cluster's Services, which the host feeds
 * in through {@link #hold}; pools come from kube-vip's ConfigMap. Every method is synchronized, so
 * decisions are serialised and each sees the previous one.
 */
public final class ConfigMapBackend implements IpamBackend {
  private final AddressBook book = new AddressBook();
  private KubeVipConfig config = KubeVipConfig.empty();

  @Override
  public synchronized List<ConfigProblem> configure(Optional<Map<String, String>> poolConfig) {
    config = KubeVipConfig.parse(poolConfig.orElse(Map.of()));
    return config.problems();
  }

  @Override
  public synchronized HoldOutcome hold(Holding holding) {
    var conflicts = book.put(holding);
    return conflicts.isEmpty() ? new HoldOutcome.Held() : new HoldOutcome.Conflicted(conflicts);
  }

  @Override
  public synchronized AllocationOutcome allocate(AllocationRequest request) {
    AllocationOutcome outcome = Allocator.decide(config, book, request);
    if (outcome instanceof AllocationOutcome.Allocated allocated && book.holding(request.owner()).isEmpty()) {
      book.put(new Holding(request.owner(), allocated.addresses(), request.ports(), true));
    }
    return outcome;
  }

  @Override
  public synchronized void release(OwnerRef owner) {
    book.remove(owner);
  }

  @Override
  public synchronized List<Holding> holdings() {
    return List.copyOf(book.holdings());
  }

  @Override
  public BackendHealth health() {
    return BackendHealth.up();
  }

  @Override
  public synchronized List<PoolStats> poolStats() {
    return book.poolStats(config);
  }

  @Override
  public void close() {}
}
