package dev.lbipam.ipam.redis;

import dev.lbipam.ipam.spi.KubeVipConventions;
import dev.lbipam.ipam.configmap.AddressBook;
import dev.lbipam.ipam.configmap.LocalPools;
import dev.lbipam.ipam.configmap.KubeVipConfig;
import dev.lbipam.ipam.redis.ClaimStore.ClaimResult;
import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.AllocationRequest;
import dev.lbipam.ipam.spi.BackendHealth;
import dev.lbipam.ipam.spi.BackendMetric;
import dev.lbipam.ipam.spi.ConfigProblem;
import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.IpamException;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.PoolStats;
import dev.lbipam.ipam.spi.RejectReason;
import dev.lbipam.ipam.spi.net.IpAddress;
import dev.lbipam.ipam.spi.net.IpRange;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pools from kube-vip's ConfigMap, decided by the same rules as the default backend, with every
 * address claimed exclusively in Redis before it is handed out. The local {@link AddressBook}
 * holds this cluster's Services (for sharing and the .0/.255 rules) plus the claims of other
 * clusters seen in Redis, refreshed for a pool's blocks before each decision.
 *
 * <p>Sharing happens only inside one cluster: a claim belongs to one cluster, which may list
 * several owners.
 */
public final class RedisBackend implements IpamBackend {
  private static final Logger LOG = LoggerFactory.getLogger(RedisBackend.class);
  private static final int MAX_RACES = 16;
  private static final int LEARN_WINDOW = 256;

  private final ClaimStore store;
  private final String clusterId;
  private final long graceMillis;
  private final Clock clock;
  /** The ConfigMap backend's pools, holdings and decision, with Redis's claims mirrored into them. */
  private final LocalPools pools = new LocalPools();
  private final AddressBook book = pools.book();
  /** Pseudo-owners standing for claims made elsewhere (other clusters or lost local state). */
  private final Map<IpAddress, OwnerRef> foreign = new HashMap<>();
  /** Releases that failed while Redis was away; retried by maintenance. */
  private final Map<IpAddress, Set<OwnerRef>> pendingReleases = new LinkedHashMap<>();
  private final long quarantineMillis;
  /** The data set this cluster's view of Redis was built on; null until Redis first answered. */
  private ClaimStore.Generation generation;
  /** Redis may have lost claims: no allocation until this cluster re-asserted what it holds. */
  private boolean restoreNeeded;
  /** A hold failed during a restore: the restore is not complete. */
  private boolean restoreFailed;
  /** After a restore, no allocation before this time, so that other clusters re-assert theirs. */
  private long quarantineUntil;
  private volatile String lastError = "";
  private final Set<IpAddress> reportedClashes = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The last change-log entry applied to the mirror, and the data set that log belongs to. */
  private long applied;
  private String appliedEpoch;
  /** Pool blocks whose claims were read whole; the change log keeps them current from then on. */
  private final Set<IpRange> loadedBlocks = new HashSet<>();
  private static final int CATCH_UP_BATCH = 2_000;

  /**
   * @param quarantineMillis how long to wait after re-asserting this cluster's claims on a Redis
   *     that lost data, before allocating again: the other clusters need that time to notice and
   *     re-assert theirs (a maintenance round, plus the re-assertion itself)
   */
  public RedisBackend(ClaimStore store, long graceMillis, long quarantineMillis, Clock clock) {
    this.store = store;
    this.clusterId = store.clusterId();
    this.graceMillis = graceMillis;
    this.quarantineMillis = quarantineMillis;
    this.clock = clock;
    try {
      generation = store.generation(UUID.randomUUID().toString());
    } catch (IpamException e) {
      lastError = e.getMessage();
      LOG.warn("redis not reachable at start; will keep trying error=\"{}\"", e.getMessage());
    }
  }

  /** Why allocations must wait now, or empty. */
  private Optional<String> allocationBlocked() {
    if (generation == null) {
      return Optional.of("redis has not answered yet: " + lastError);
    }
    if (restoreNeeded) {
      return Optional.of("redis lost claims (its data set changed); re-asserting this cluster's addresses before"
          + " allocating new ones");
    }
    long wait = quarantineUntil - clock.millis();
    if (wait > 0) {
      return Optional.of("redis lost claims (its data set changed); waiting " + ((wait + 999) / 1000)
          + "s more so that every cluster can re-assert its addresses before new ones are allocated");
    }
    return Optional.empty();
  }

  private void generationChanged(ClaimStore.Generation current) {
    if (!restoreNeeded) {
      LOG.warn("redis data set changed (generation {} -> {}); claims must be restored", generation, current);
    }
    restoreNeeded = true;
    restoreFailed = true;
  }

  @Override
  public synchronized List<ConfigProblem> configure(Optional<Map<String, String>> poolConfig) {
    return pools.configure(poolConfig);
  }

  @Override
  public HoldOutcome hold(Holding holding) {
    Set<IpAddress> before;
    List<HoldOutcome.Conflict> conflicts;
    ClaimStore.Generation known;
    synchronized (this) {
      before = book.holding(holding.owner()).map(h -> new LinkedHashSet<>(h.addresses())).orElseGet(LinkedHashSet::new);
      for (IpAddress address : holding.addresses()) {
        dropForeign(address);
      }
      conflicts = new ArrayList<>(book.put(holding));
      known = generation;
    }
    if (!holding.managed()) {
      return conflicts.isEmpty() ? new HoldOutcome.Held() : new HoldOutcome.Conflicted(conflicts);
    }
    // The claims themselves are made outside the lock: other workers allocate meanwhile, and the
    // book already counts these addresses as used.
    try {
      for (IpAddress address : holding.addresses()) {
        if (KubeVipConventions.isDhcpPlaceholder(address)) {
          continue;
        }
        if (known == null) {
          return new HoldOutcome.Unavailable("redis has not answered yet: " + lastError);
        }
        ClaimResult result = store.claim(address, holding.owner(), known, true);
        if (result instanceof ClaimResult.GenerationChanged changed) {
          synchronized (this) {
            generationChanged(changed.current());
          }
          return new HoldOutcome.Unavailable("redis lost claims (its data set changed); restoring");
        }
        if (result instanceof ClaimResult.AlreadyOurs ours && !ours.contestedBy().isEmpty()) {
          conflicts.add(
              new HoldOutcome.Conflict(
                  address.toString(),
                  foreignOwner("?", ours.contestedBy()),
                  "address " + address + " is also held by Service " + ours.contestedBy()
                      + " in another cluster; this claim stays, resolve the clash there"));
        }
        if (result instanceof ClaimResult.Taken taken) {
          conflicts.add(
              new HoldOutcome.Conflict(
                  address.toString(),
                  foreignOwner(taken.cluster(), taken.firstOwner()),
                  "address " + address + " is claimed in Redis by cluster " + taken.cluster() + " ("
                      + taken.firstOwner() + "); it is not moved: resolve the clash by hand"));
        }
      }
      before.removeAll(holding.addresses());
      for (IpAddress dropped : before) {
        releaseClaim(dropped, holding.owner());
      }
    } catch (IpamException e) {
      lastError = e.getMessage();
      synchronized (this) {
        if (restoreNeeded) {
          restoreFailed = true;
        }
      }
      return new HoldOutcome.Unavailable(e.getMessage());
    }
    return conflicts.isEmpty() ? new HoldOutcome.Held() : new HoldOutcome.Conflicted(conflicts);
  }

  /**
   * Decides under the lock, claims in Redis outside it. The decision is recorded in the book before
   * the claim, so that the other workers of this cluster skip those addresses meanwhile; a lost race
   * takes it out again, marks the address foreign and decides anew.
   */
  @Override
  public AllocationOutcome allocate(AllocationRequest request) {
    OwnerRef owner = request.owner();
    ClaimStore.Generation known;
    synchronized (this) {
      if (book.holding(owner).isPresent()) {
        return pools.decide(request);
      }
      Optional<String> blocked = allocationBlocked();
      if (blocked.isPresent()) {
        return new AllocationOutcome.Rejected(RejectReason.BACKEND_UNAVAILABLE, blocked.get());
      }
      known = generation;
    }
    List<IpAddress> claimed = new ArrayList<>();
    try {
      // Exact lowest-free across clusters: bring the mirror of the pool's claims up to date from
      // Redis's change log (O(changes since the last decision), never O(claims in the pool)); see
      // docs/adr/0007-redis-claims.md.
      List<IpAddress> earlier = catchUp(owner).ownerClaims();
      if (!earlier.isEmpty()) {
        // Claimed before a crash, never written to the Service: the same owner gets them back.
        synchronized (this) {
          earlier.forEach(this::dropForeign);
          book.put(new Holding(owner, earlier, request.ports(), true));
          LOG.info("reusing earlier claims owner={} addresses={}", owner.key(), earlier);
          return pools.decide(request);
        }
      }
      for (int attempt = 0; attempt < MAX_RACES; attempt++) {
        AllocationOutcome outcome;
        synchronized (this) {
          outcome = pools.decide(request);
          if (outcome instanceof AllocationOutcome.Allocated allocated) {
            book.put(new Holding(owner, allocated.addresses(), request.ports(), true));
          }
        }
        if (!(outcome instanceof AllocationOutcome.Allocated allocated)) {
          return outcome;
        }
        IpAddress lost = null;
        claimed.clear();
        for (IpAddress address : allocated.addresses()) {
          if (KubeVipConventions.isDhcpPlaceholder(address)) {
            continue;
          }
          ClaimResult result = store.claim(address, owner, known, false);
          if (result instanceof ClaimResult.GenerationChanged changed) {
            undo(owner, claimed);
            synchronized (this) {
              generationChanged(changed.current());
              return new AllocationOutcome.Rejected(RejectReason.BACKEND_UNAVAILABLE, allocationBlocked().orElseThrow());
            }
          }
          if (result instanceof ClaimResult.Taken taken) {
            lost = address;
            synchronized (this) {
              book.remove(owner);
              markForeign(address, taken.cluster());
            }
            break;
          }
          claimed.add(address);
        }
        if (lost == null) {
          return outcome;
        }
        for (IpAddress address : claimed) {
          store.release(address, owner);
        }
        claimed.clear();
        IpAddress from = lost;
        // Claims that follow the lost address in its block are likely taken too: learn a window of them.
        learn(owner.namespace(), block -> block.contains(from)
            ? store.claimedWithin(new IpRange(from, block.last()), LEARN_WINDOW)
            : List.of());
        LOG.debug("lost a race for address={}; deciding again", lost);
      }
      return new AllocationOutcome.Rejected(
          RejectReason.BACKEND_UNAVAILABLE, "gave up after " + MAX_RACES + " lost races for addresses in Redis");
    } catch (IpamException e) {
      lastError = e.getMessage();
      undo(owner, claimed);
      return new AllocationOutcome.Rejected(RejectReason.BACKEND_UNAVAILABLE, e.getMessage());
    }
  }

  /** Takes back an allocation that did not complete: the book's entry and the claims already made. */
  private void undo(OwnerRef owner, List<IpAddress> claimed) {
    synchronized (this) {
      book.remove(owner);
    }
    for (IpAddress address : claimed) {
      releaseClaim(address, owner);
    }
    claimed.clear();
  }

  @Override
  public void release(OwnerRef owner) {
    Set<IpAddress> addresses;
    synchronized (this) {
      addresses = book.holding(owner).map(h -> new LinkedHashSet<>(h.addresses())).orElseGet(LinkedHashSet::new);
      book.remove(owner);
    }
    try {
      addresses.addAll(store.claimsOf(owner));
    } catch (IpamException e) {
      lastError = e.getMessage();
    }
    for (IpAddress address : addresses) {
      releaseClaim(address, owner);
    }
  }

  private void releaseClaim(IpAddress address, OwnerRef owner) {
    if (KubeVipConventions.isDhcpPlaceholder(address) || !owner.clusterId().equals(clusterId)) {
      return;
    }
    try {
      store.release(address, owner);
    } catch (IpamException e) {
      lastError = e.getMessage();
      synchronized (this) {
        pendingReleases.computeIfAbsent(address, a -> new HashSet<>()).add(owner);
      }
    }
  }

  @Override
  public List<Holding> holdings() {
    Map<OwnerRef, List<IpAddress>> byOwner = new LinkedHashMap<>();
    for (ClaimStore.ClusterClaim claim : store.clusterClaims()) {
      for (String ownerId : claim.owners().keySet()) {
        byOwner.computeIfAbsent(ClaimKeys.parseOwnerId(ownerId), o -> new ArrayList<>()).add(claim.address());
      }
    }
    List<Holding> holdings = new ArrayList<>();
    byOwner.forEach((owner, addresses) -> holdings.add(new Holding(owner, addresses, List.of(), true)));
    return holdings;
  }

  /**
   * Frees claims of this cluster whose owner is no longer live, once they are older than the grace
   * period, and retries releases that failed while Redis was away. Never touches other clusters.
   * The Redis calls run outside the backend's lock, so allocations do not wait for them; {@code
   * liveOwners} is asked per claim, at that moment.
   */
  @Override
  public List<OwnerRef> retainOnly(Set<OwnerRef> liveOwners) {
    Map<IpAddress, Set<OwnerRef>> retry;
    synchronized (this) {
      for (Holding holding : List.copyOf(book.holdings())) {
        if (holding.owner().clusterId().equals(clusterId) && !liveOwners.contains(holding.owner())) {
          book.remove(holding.owner());
        }
      }
      retry = new LinkedHashMap<>();
      pendingReleases.forEach((address, owners) -> retry.put(address, Set.copyOf(owners)));
    }
    List<OwnerRef> released = new ArrayList<>();
    try {
      for (Map.Entry<IpAddress, Set<OwnerRef>> pending : retry.entrySet()) {
        for (OwnerRef owner : pending.getValue()) {
          store.release(pending.getKey(), owner);
        }
        synchronized (this) {
          pendingReleases.computeIfPresent(pending.getKey(), (address, owners) -> {
            owners.removeAll(pending.getValue());
            return owners.isEmpty() ? null : owners;
          });
        }
      }
      long now = clock.millis();
      for (ClaimStore.ClusterClaim claim : store.clusterClaims()) {
        for (Map.Entry<String, Long> owner : claim.owners().entrySet()) {
          OwnerRef claimant = ClaimKeys.parseOwnerId(owner.getKey());
          if (!liveOwners.contains(claimant) && now - owner.getValue() >= graceMillis) {
            store.release(claim.address(), claimant);
            released.add(claimant);
            LOG.info("released stale claim address={} owner={}", claim.address(), owner.getKey());
          }
        }
      }
    } catch (IpamException e) {
      lastError = e.getMessage();
      LOG.warn("garbage collection postponed error=\"{}\"", e.getMessage());
    }
    return released;
  }

  /**
   * True once Redis serves another generation than the one we know (it restarted, was flushed, or a
   * replica took over) or a claim said so: this cluster then adopts the new generation, and the host
   * re-asserts every holding before {@link #restoreCompleted()}.
   */
  @Override
  public boolean needsRestore() {
    ClaimStore.Generation current;
    try {
      current = store.generation(UUID.randomUUID().toString());
      lastError = "";
    } catch (IpamException e) {
      lastError = e.getMessage();
      synchronized (this) {
        return restoreNeeded;
      }
    }
    synchronized (this) {
      if (generation == null) {
        generation = current;
      } else if (!generation.equals(current) || restoreNeeded) {
        if (!generation.equals(current)) {
          LOG.warn("redis data set changed (generation {} -> {}); claims must be restored", generation, current);
        }
        generation = current;
        restoreNeeded = true;
        restoreFailed = false;
        foreign.keySet().forEach(a -> book.remove(foreign.get(a)));
        foreign.clear();
      }
      return restoreNeeded;
    }
  }

  @Override
  public synchronized void restoreCompleted() {
    if (restoreFailed) {
      LOG.warn("restore incomplete; trying again next round");
      return;
    }
    restoreNeeded = false;
    quarantineUntil = clock.millis() + quarantineMillis;
    LOG.info("claims re-asserted on the new redis data set; allocating again in {} ms", quarantineMillis);
  }

  /**
   * Re-asserts every address this cluster's Services hold, each round: a claim lost in Redis (a
   * failover that dropped writes, a clash whose other side was deleted) comes back within one
   * round. Redis calls run outside the backend's lock.
   */
  @Override
  public void maintain() {
    List<Holding> ours;
    ClaimStore.Generation known;
    synchronized (this) {
      if (generation == null || restoreNeeded) {
        return;
      }
      known = generation;
      ours = book.holdings().stream()
          .filter(h -> h.managed() && h.owner().clusterId().equals(clusterId))
          .toList();
    }
    int reclaimed = 0;
    try {
      for (Holding holding : ours) {
        for (IpAddress address : holding.addresses()) {
          if (KubeVipConventions.isDhcpPlaceholder(address)) {
            continue;
          }
          ClaimResult result = store.claim(address, holding.owner(), known, true);
          if (result instanceof ClaimResult.GenerationChanged changed) {
            synchronized (this) {
              generationChanged(changed.current());
            }
            return;
          }
          if (result instanceof ClaimResult.Claimed) {
            reclaimed++;
            LOG.warn("re-asserted a claim redis had lost address={} owner={}", address, holding.owner().key());
          } else if (result instanceof ClaimResult.Taken taken && reportedClashes.add(address)) {
            // Reported once: the Service's own Warning Event says it on every change.
            LOG.warn("address clash with another cluster address={} owner={} otherCluster={}", address,
                holding.owner().key(), taken.cluster());
          }
        }
      }
    } catch (IpamException e) {
      lastError = e.getMessage();
      LOG.warn("re-asserting claims postponed error=\"{}\"", e.getMessage());
    }
    if (reclaimed > 0) {
      LOG.warn("re-asserted lost claims count={}", reclaimed);
    }
  }

  @Override
  public BackendHealth health() {
    CircuitBreaker.State state = store.circuitState();
    if (state == CircuitBreaker.State.OPEN) {
      return BackendHealth.down("redis circuit open: " + lastError);
    }
    return BackendHealth.up();
  }

  @Override
  public List<BackendMetric> metrics() {
    return store.callMetrics().metrics(store.breaker());
  }

  @Override
  public List<dev.lbipam.ipam.spi.BackendHistogram> histograms() {
    return store.callMetrics().histograms();
  }

  @Override
  public synchronized List<PoolStats> poolStats() {
    return pools.poolStats();
  }

  /**
   * Marks claims Redis holds in part of the namespace's pool blocks (after a lost race): {@code read}
   * gets them from Redis outside the lock, and the book is updated under it. An address this
   * cluster holds meanwhile stays ours; a mark that turns out stale only costs another race, since
   * the claim script decides.
   */
  private void learn(String namespace, Function<IpRange, List<IpAddress>> read) {
    List<IpRange> blocks;
    synchronized (this) {
      blocks = blocksOf(namespace);
    }
    for (IpRange block : blocks) {
      List<IpAddress> claimed = read.apply(block);
      synchronized (this) {
        applyClaims(block, claimed, false);
      }
    }
  }

  private List<IpRange> blocksOf(String namespace) {
    return pools.config().select(namespace) instanceof KubeVipConfig.PoolSelection.Found found ? found.pool().blocks() : List.of();
  }

  /** With {@code wholeBlock} the read is complete, so foreign marks it no longer shows are dropped. */
  private void applyClaims(IpRange block, List<IpAddress> claimed, boolean wholeBlock) {
    if (wholeBlock) {
      Set<IpAddress> inRedis = new HashSet<>(claimed);
      for (IpAddress address : List.copyOf(foreign.keySet())) {
        if (block.contains(address) && !inRedis.contains(address)) {
          dropForeign(address);
        }
      }
    }
    for (IpAddress address : claimed) {
      if (book.isFree(address)) {
        markForeign(address, "redis");
      }
    }
  }

  /**
   * Brings the mirror of the namespace's pool blocks up to date, and returns what Redis holds for
   * the owner. One round trip reads the change log after the last entry applied; a block not read
   * yet is read whole first (then the log is replayed from before that read, which is harmless:
   * entries are applied in order and each sets an address's state). A log that no longer reaches
   * back that far, or belongs to a data set that was lost, means every block is read afresh.
   */
  private ClaimStore.Prepared catchUp(OwnerRef owner) {
    while (true) {
      long after;
      synchronized (this) {
        after = applied;
      }
      ClaimStore.Prepared prepared = store.prepare(owner, after, CATCH_UP_BATCH);
      List<IpRange> missing;
      boolean more = false;
      synchronized (this) {
        if (!prepared.reachesBackTo(after, appliedEpoch)) {
          if (appliedEpoch != null) {
            LOG.info("redis change log does not reach back to the mirror's position; reading the pools' claims afresh"
                + " applied={} version={}", after, prepared.version());
          }
          loadedBlocks.clear();
          applied = prepared.version();
          appliedEpoch = prepared.epoch();
        } else if (after <= applied) {
          for (ClaimStore.Change change : prepared.changes()) {
            if (change.sequence() > applied) {
              applyChange(change);
              applied = change.sequence();
            }
          }
          more = prepared.changes().size() == CATCH_UP_BATCH;
        } else {
          more = true; // a block read rewound the position meanwhile: read from there
        }
        missing = new ArrayList<>(blocksOf(owner.namespace()));
        missing.removeAll(loadedBlocks);
      }
      if (missing.isEmpty() && !more) {
        return prepared;
      }
      for (IpRange block : missing) {
        List<IpAddress> claimed = store.claimedWithin(block);
        synchronized (this) {
          applyClaims(block, claimed, true);
          loadedBlocks.add(block);
          applied = Math.min(applied, prepared.version());
        }
      }
    }
  }

  private void applyChange(ClaimStore.Change change) {
    IpAddress address = change.address();
    if (loadedBlocks.stream().noneMatch(b -> b.contains(address))) {
      return; // read whole when its block is first needed
    }
    if (!change.claimed()) {
      dropForeign(address);
    } else if (book.isFree(address)) {
      markForeign(address, "redis");
    }
  }

  private void markForeign(IpAddress address, String cluster) {
    if (foreign.containsKey(address)) {
      return;
    }
    OwnerRef pseudo = new OwnerRef("~" + cluster, "", address.toString(), "");
    foreign.put(address, pseudo);
    book.put(new Holding(pseudo, List.of(address), List.of(), false));
  }

  private void dropForeign(IpAddress address) {
    OwnerRef pseudo = foreign.remove(address);
    if (pseudo != null) {
      book.remove(pseudo);
    }
  }

  private static OwnerRef foreignOwner(String cluster, String firstOwner) {
    try {
      return ClaimKeys.parseOwnerId(firstOwner);
    } catch (IllegalArgumentException e) {
      return new OwnerRef(cluster, "", firstOwner, "");
    }
  }

  @Override
  public void close() {
    store.close();
  }
}
