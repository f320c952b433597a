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
  private final LocalPools pools = new LocalPools();

  @Override
  public synchronized List<ConfigProblem> configure(Optional<Map<String, String>> poolConfig) {
    return pools.configure(poolConfig);
  }

  @Override
  public synchronized HoldOutcome hold(Holding holding) {
    return pools.hold(holding);
  }

  @Override
  public synchronized AllocationOutcome allocate(AllocationRequest request) {
    AllocationOutcome outcome = pools.decide(request);
    if (outcome instanceof AllocationOutcome.Allocated allocated) {
      pools.recordAllocated(request, allocated);
    }
    return outcome;
  }

  @Override
  public synchronized void release(OwnerRef owner) {
    pools.book().remove(owner);
  }

  @Override
  public synchronized List<Holding> holdings() {
    return List.copyOf(pools.book().holdings());
  }

  /** Its whole state is derived from the Services, in memory: a standby may keep it current. */
  @Override
  public boolean inProcessOnly() {
    return true;
  }

  @Override
  public BackendHealth health() {
    return BackendHealth.up();
  }

  @Override
  public synchronized List<PoolStats> poolStats() {
    return pools.poolStats();
  }

  @Override
  public void close() {}
}
