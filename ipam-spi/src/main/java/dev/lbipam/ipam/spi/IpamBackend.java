package dev.lbipam.ipam.spi;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A stateful address manager for one cluster. Created by an {@link IpamBackendFactory}.
 *
 * <p><b>Thread-safety:</b> every method may be called from several threads; implementations make
 * each call atomic, so two concurrent {@link #allocate} calls never return the same unshared
 * address, and an address returned by {@code allocate} counts as used by the very next call, before
 * the host has written it anywhere.
 *
 * <p><b>Lifecycle:</b> the host calls {@link #configure} with the pool configuration, then
 * {@link #hold} once for every Service that already holds addresses, then {@link
 * #retainOnly(Set)}; only after that does it call {@link #allocate}. Afterwards it keeps calling
 * {@code configure} on every configuration change and {@code hold}/{@code release} as Services
 * change. A backend that is {@link #inProcessOnly()} may also hear {@code hold} and {@code release}
 * from a host that stands by, as Services change before it leads; such a host then holds only the
 * Services it has not seen yet.
 */
public interface IpamBackend extends AutoCloseable {

  /**
   * Replaces the pool configuration (the data of the pool ConfigMap; empty when it does not exist).
   * Never throws on bad input: returns every problem found, each naming its key and value. Entries
   * without problems stay usable.
   */
  List<ConfigProblem> configure(Optional<Map<String, String>> poolConfig);

  /**
   * Records that an owner holds these addresses (restore after restart, user-pinned addresses,
   * addresses written by an earlier run). Replaces whatever the owner held before; an empty list
   * is the same as {@link #release}. Idempotent.
   */
  HoldOutcome hold(Holding holding);

  /**
   * Allocates addresses for a Service. Idempotent: while the owner holds addresses from an earlier
   * call (or from {@link #hold}), the same addresses come back.
   */
  AllocationOutcome allocate(AllocationRequest request);

  /** Frees everything the owner holds. Idempotent; releasing an unknown owner does nothing. */
  void release(OwnerRef owner);

  /** What this backend holds for this cluster, for restore and garbage collection. */
  List<Holding> holdings();

  /**
   * Releases the holdings of every owner of this cluster not in {@code liveOwners}. Backends with
   * external state may wait for a grace period before they free a record. Never touches another
   * cluster's records.
   *
   * <p>The host may pass a live view whose {@code contains} answers for the moment it is asked (an
   * owner that got an address after the call began is live): ask it per holding, when deciding,
   * rather than copying it first. The host calls this with no lock held that allocations wait on,
   * and a backend should not hold its own allocation lock across remote calls here either.
   *
   * @return the owners released by this call
   */
  default List<OwnerRef> retainOnly(Set<OwnerRef> liveOwners) {
    List<OwnerRef> gone = holdings().stream().map(Holding::owner).filter(o -> !liveOwners.contains(o)).toList();
    gone.forEach(this::release);
    return gone;
  }

  /**
   * True when {@link #hold}, {@link #release} and {@link #configure} act on this process's memory
   * only: nothing outside the process records them and they never wait on I/O. A replica that
   * stands by may then keep the holdings current from its caches, so that taking over needs no pass
   * over every Service. A backend that records holdings elsewhere answers false (the default): only
   * the leader may tell it anything.
   */
  default boolean inProcessOnly() {
    return false;
  }

  /** Cheap; called by health probes and before allocating. */
  BackendHealth health();

  /**
   * True when the backend has lost state it cannot rebuild alone (e.g. its store restarted empty).
   * The host then calls {@link #hold} again for every Service that holds addresses, then {@link
   * #restoreCompleted()}. Backends whose state lives in the cluster never need this.
   */
  default boolean needsRestore() {
    return false;
  }

  /** Called by the host after it re-asserted every holding because {@link #needsRestore()} said so. */
  default void restoreCompleted() {}

  /**
   * Called once per maintenance round, with no lock held that allocations wait on. Backends with
   * external state re-assert what this cluster holds here, so that a record lost outside (a store
   * that lost writes, a clash resolved by hand) comes back within one round.
   */
  default void maintain() {}

  /** Samples for the host's metrics endpoint: call counts, errors, circuit state. */
  default List<BackendMetric> metrics() {
    return List.of();
  }

  /** Histograms for the host's metrics endpoint: call latency by operation. */
  default List<BackendHistogram> histograms() {
    return List.of();
  }

  /** Size and use of each pool in each family, for metrics. */
  default List<PoolStats> poolStats() {
    return List.of();
  }

  @Override
  void close();
}
