package dev.lbipam.controller;

import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic round, once started: re-assert every holding when the backend lost its state (with
 * allocations kept out meanwhile), release holdings of Services that are gone (the backend applies
 * its own grace), retry the waiting Services when something was freed or the backend came back,
 * and garbage-collect orphaned claims. No lock the workers wait on is held during a backend call.
 */
final class Maintenance {
  private static final Logger LOG = LoggerFactory.getLogger(Maintenance.class);
  private final StartupIndex startup;
  private final IpamBackend backend;
  private final Holdings holdings;
  private final LiveOwners live;
  private final ClaimKeeper claims;
  private final WaitingServices waiting;
  private final RestoreGate gate;
  private final Metrics metrics;
  private boolean backendWasUp = true;

  Maintenance(StartupIndex startup, IpamBackend backend, Holdings holdings, LiveOwners live, ClaimKeeper claims,
      WaitingServices waiting, RestoreGate gate, Metrics metrics) {
    this.startup = startup;
    this.backend = backend;
    this.holdings = holdings;
    this.live = live;
    this.claims = claims;
    this.waiting = waiting;
    this.gate = gate;
    this.metrics = metrics;
  }

  /** One round; runs on the single maintenance thread. */
  void run() {
    if (!startup.done()) {
      return;
    }
    try {
      if (backend.needsRestore()) {
        gate.restore(() -> {
          int holders = holdings.holdAll();
          int standIns = claims.holdStandInsAgain();
          backend.restoreCompleted();
          LOG.warn("backend lost its state; re-asserted holdings holding={} claimedNotShown={}", holders, standIns);
        });
        waiting.retryAll();
      }
      List<OwnerRef> released = backend.retainOnly(live);
      if (!released.isEmpty()) {
        LOG.info("released holdings of deleted services count={}", released.size());
        waiting.retryAll();
      }
      if (claims.syncStandIns() > 0) {
        waiting.retryAll();
      }
      boolean up = backend.health().available();
      if (up && !backendWasUp) {
        LOG.info("backend available again; retrying waiting services count={}", waiting.size());
        waiting.retryAll();
      }
      backendWasUp = up;
    } catch (RuntimeException e) {
      LOG.warn("maintenance failed error=\"{}\"", e.toString());
    }
    // Nothing may escape: one exception would cancel every later round of the scheduled task.
    try {
      backend.maintain();
      // The addresses of the claims just deleted are free now, not one round later.
      if (claims.collect() > 0 && claims.syncStandIns() > 0) {
        waiting.retryAll();
      }
    } catch (RuntimeException e) {
      LOG.warn("maintenance failed error=\"{}\"", e.toString());
    }
    metrics.claims.set(claims.size());
  }
}
