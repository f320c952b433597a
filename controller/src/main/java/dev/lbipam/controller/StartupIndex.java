package dev.lbipam.controller;

import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.net.IpAddress;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up, once the caches have synced and before any worker runs: the pools, then every address
 * every Service shows (what a standby has not held yet: {@link StandbyHoldings}), then the release
 * of holdings whose Services are gone. Then, beside the workers, a claim for every address a
 * Service of ours shows, so that a cluster run by kube-vip-cloud-provider (or an older lbipam) gets
 * them without waiting for each reconcile.
 */
final class StartupIndex {
  private static final Logger LOG = LoggerFactory.getLogger(StartupIndex.class);
  private static final int CLAIM_THREADS = 8;
  private final PoolConfigWatcher poolConfig;
  private final StandbyHoldings standby;
  private final IpamBackend backend;
  private final LiveOwners live;
  private final ClaimKeeper claims;
  private final Lister<V1Service> services;
  private final ServiceDecider.Scope scope;
  private volatile boolean done;

  StartupIndex(PoolConfigWatcher poolConfig, StandbyHoldings standby, IpamBackend backend, LiveOwners live, ClaimKeeper claims,
      Lister<V1Service> services, ServiceDecider.Scope scope) {
    this.poolConfig = poolConfig;
    this.standby = standby;
    this.backend = backend;
    this.live = live;
    this.claims = claims;
    this.services = services;
    this.scope = scope;
  }

  boolean done() {
    return done;
  }

  /** Idempotent; a failure is thrown and the next call tries again. */
  synchronized void run() {
    if (done) {
      return;
    }
    long started = System.nanoTime();
    poolConfig.apply();
    long pooled = System.nanoTime();
    StandbyHoldings.TakeOver held = standby.takeOver();
    long holdDone = System.nanoTime();
    // Stand-ins first: the garbage collection must see them live (a backend may record them).
    claims.syncStandIns();
    long stoodIn = System.nanoTime();
    int released = backend.retainOnly(live).size();
    long retained = System.nanoTime();
    LOG.info("indexed existing services services={} holding={} heldNow={} released={} claims={} poolsMs={} holdMs={}"
            + " standInsMs={} releaseMs={}",
        services.list().size(), held.holders(), held.applied(), released, claims.size(), millis(pooled - started),
        millis(holdDone - pooled), millis(stoodIn - holdDone), millis(retained - stoodIn));
    done = true;
    // The claims for what Services already show are created beside the workers, not before them:
    // on a first upgrade that is one API write per Service (minutes at 50,000), and this leader's
    // own decisions are already guarded by the holdings just indexed. Each Service's reconcile
    // claims its addresses too; whichever comes first creates the claim.
    Thread background = new Thread(() -> {
      try {
        int claimed = claimEveryShownAddress();
        if (claimed > 0) {
          LOG.info("claimed the addresses existing services show claimedNow={}", claimed);
        }
      } catch (RuntimeException e) {
        LOG.warn("claiming existing addresses stopped; the services' reconciles claim them error=\"{}\"", e.getMessage());
      }
    }, "startup-claims");
    background.setDaemon(true);
    background.start();
  }

  private static long millis(long nanos) {
    return nanos / 1_000_000;
  }

  /** In parallel, since a first upgrade creates one claim object per Service. */
  private int claimEveryShownAddress() {
    ExecutorService pool = Executors.newFixedThreadPool(CLAIM_THREADS);
    try {
      List<Future<Integer>> futures = new ArrayList<>();
      for (V1Service service : services.list()) {
        ServiceSnapshot snapshot = ServiceSnapshot.of(service);
        List<IpAddress> addresses = ServiceDecider.decide(snapshot, scope).pinned();
        if (!addresses.isEmpty()) {
          futures.add(pool.submit(() -> claims.claimShown(snapshot, addresses)));
        }
      }
      int created = 0;
      for (Future<Integer> future : futures) {
        created += future.get();
      }
      return created;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while claiming existing addresses", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("claiming existing addresses failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }
}
