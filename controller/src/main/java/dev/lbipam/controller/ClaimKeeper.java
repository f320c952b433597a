package dev.lbipam.controller;

import dev.lbipam.ipam.spi.KubeVipConventions;
import dev.lbipam.controller.AddressClaims.Outcome;
import dev.lbipam.ipam.spi.AllocationOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpAddress;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1Service;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconciler's side of the address claims (ADR 0008): claiming what a Service shows or is about
 * to be given, holding claimed-but-unshown addresses in the backend under stand-in owners, and
 * collecting orphaned claims. The API calls are {@link AddressClaims}'; the rules are {@link
 * ClaimRules}'.
 */
final class ClaimKeeper {
  private static final Logger LOG = LoggerFactory.getLogger(ClaimKeeper.class);

  private final String clusterId;
  private final ServiceDecider.Scope scope;
  private final IpamBackend backend;
  private final Lister<V1Service> services;
  private final AddressClaims claims;
  private final Events events;
  private final Metrics metrics;
  private final long graceNanos;
  /**
   * Addresses claimed in the API server that no Service we index shows (a claim written by another
   * replica just before its patch, or an orphan awaiting GC), held in the backend by a stand-in
   * owner so that it is not offered again. Keyed by claim name.
   */
  private final Map<String, StandIn> standIns = new ConcurrentHashMap<>();
  /** When each (claim, holder uid) was first seen without a Service that needs it. */
  private final Map<String, Long> staleSince = new HashMap<>();

  /** A stand-in owner holding a claimed address in the backend, and the uids the claim names. */
  private record StandIn(OwnerRef owner, Set<String> holderUids) {}

  ClaimKeeper(String clusterId, ServiceDecider.Scope scope, IpamBackend backend, Lister<V1Service> services,
      AddressClaims claims, Events events, Metrics metrics, Duration grace) {
    this.clusterId = clusterId;
    this.scope = scope;
    this.backend = backend;
    this.services = services;
    this.claims = claims;
    this.events = events;
    this.metrics = metrics;
    this.graceNanos = grace.toNanos();
  }

  int size() {
    return claims.size();
  }

  private static final String STAND_IN_UID_PREFIX = "claim/";

  /** Whether an owner is one of our stand-ins rather than a Service. */
  static boolean isStandIn(OwnerRef owner) {
    return owner.uid().startsWith(STAND_IN_UID_PREFIX);
  }

  /** The stand-in owners: live for the backend's garbage collection. */
  List<OwnerRef> standInOwners() {
    return standIns.values().stream().map(StandIn::owner).toList();
  }

  /** Whether this stand-in owner still holds its claimed address. */
  boolean holdsStandIn(OwnerRef owner) {
    StandIn standIn = standIns.get(owner.uid().substring(STAND_IN_UID_PREFIX.length()));
    return standIn != null && standIn.owner().equals(owner);
  }

  /** The addresses claimed for this Service uid. */
  List<IpAddress> claimedFor(String uid) {
    return claims.addressesOf(uid);
  }

  void releaseAll(String uid) throws ApiException {
    claims.releaseAll(uid);
  }

  /**
   * Claims addresses a Service names itself. The address stays on the Service whatever the outcome
   * (an address is never moved); a clash is reported to the user.
   *
   * @return how many claims this call created or joined
   */
  int claimShown(ServiceSnapshot service, List<IpAddress> addresses) throws ApiException {
    int created = 0;
    for (IpAddress address : addresses) {
      if (KubeVipConventions.isDhcpPlaceholder(address)) {
        continue;
      }
      boolean had = claims.get(address).map(c -> c.heldBy(service.uid())).orElse(false);
      Outcome outcome = claims.claim(address, holderOf(service), true);
      if (outcome instanceof Outcome.Taken taken) {
        String message = "address " + address + " is also claimed by " + taken.by()
            + " (kubectl get addressclaim " + AddressClaim.nameOf(address) + "); it is not moved: resolve the clash";
        LOG.warn("address clash address={} claimedBy=\"{}\"", address, taken.by());
        events.warning(service, EventReason.AddressInUse, message);
      } else if (!had) {
        created++;
      }
    }
    return created;
  }

  /**
   * Claims each allocated address for the Service. If the API server shows one claimed by another
   * Service, the allocation is undone, the address is held by a stand-in, and false tells the
   * caller to decide again.
   */
  boolean claimAllocated(ServiceSnapshot service, OwnerRef owner, AllocationOutcome.Allocated allocated)
      throws ApiException {
    List<IpAddress> claimedNow = new ArrayList<>();
    for (IpAddress address : allocated.addresses()) {
      if (KubeVipConventions.isDhcpPlaceholder(address)) {
        continue;
      }
      boolean had = claims.get(address).map(c -> c.heldBy(owner.uid())).orElse(false);
      Outcome outcome = claims.claim(address, holderOf(service), allocated.shareable().contains(address));
      if (outcome instanceof Outcome.Taken taken) {
        metrics.claimConflicts.inc();
        LOG.info("address claimed elsewhere; deciding again address={} claimedBy=\"{}\"", address, taken.by());
        backend.release(owner);
        for (IpAddress mine : claimedNow) {
          claims.release(mine, owner.uid());
        }
        // Held again even if a stand-in exists: a backend may have seen it while the address was
        // still the other Service's, and must count it as used now that it may be free there.
        claims.get(address).ifPresent(claim -> standIn(claim, true));
        return false;
      }
      if (!had) {
        claimedNow.add(address);
      }
    }
    return true;
  }

  /**
   * Holds every claimed address that no indexed Service shows under a stand-in owner, and drops the
   * stand-ins whose claim is gone or whose Service now shows the address itself. Memory only.
   *
   * @return how many stand-ins were dropped (addresses that may be free again)
   */
  int syncStandIns() {
    int dropped = 0;
    for (Map.Entry<String, StandIn> entry : List.copyOf(standIns.entrySet())) {
      Optional<AddressClaim> claim = claims.get(AddressClaim.addressOf(entry.getKey()));
      if ((claim.isEmpty() || shownByAHolder(claim.get())) && releaseStandIn(entry.getValue().owner())) {
        standIns.remove(entry.getKey(), entry.getValue());
        dropped++;
      }
    }
    for (AddressClaim claim : claims.all()) {
      if (!standIns.containsKey(claim.name()) && !shownByAHolder(claim)) {
        standIn(claim, false);
      }
    }
    return dropped;
  }

  /**
   * Holds every stand-in again: a backend that lost its state (or could not record them when they
   * were made) learns them anew, like the Services' holdings in a restore.
   *
   * @return how many stand-ins were held
   */
  int holdStandInsAgain() {
    int held = 0;
    for (Map.Entry<String, StandIn> entry : List.copyOf(standIns.entrySet())) {
      backend.hold(new Holding(entry.getValue().owner(), List.of(AddressClaim.addressOf(entry.getKey())), List.of(), false));
      held++;
    }
    return held;
  }

  private boolean shownByAHolder(AddressClaim claim) {
    IpAddress address = claim.address();
    for (AddressClaim.Holder holder : claim.holders()) {
      V1Service service = services.namespace(holder.namespace()).get(holder.name());
      if (service != null) {
        ServiceSnapshot snapshot = ServiceSnapshot.of(service);
        if (snapshot.uid().equals(holder.uid())
            && ServiceDecider.heldLeniently(snapshot).stream().anyMatch(a -> a.unmapped().equals(address))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Makes the backend count a claimed address as used until the claim's Service shows it. */
  private void standIn(AddressClaim claim, boolean holdAgain) {
    AddressClaim.Holder first = claim.holders().isEmpty() ? null : claim.holders().get(0);
    OwnerRef owner =
        first == null
            ? new OwnerRef(clusterId, "", claim.describeHolder(), STAND_IN_UID_PREFIX + claim.name())
            : new OwnerRef(clusterId, first.namespace(), first.name(), STAND_IN_UID_PREFIX + claim.name());
    Set<String> uids = new HashSet<>();
    claim.holders().forEach(h -> uids.add(h.uid()));
    StandIn existing = standIns.putIfAbsent(claim.name(), new StandIn(owner, uids));
    if (existing == null) {
      LOG.info("address claimed but shown by no service; held for its claim address={} claimedBy=\"{}\"", claim.address(),
          claim.describeHolder());
    }
    if (existing == null || holdAgain) {
      OwnerRef holder = existing == null ? owner : existing.owner();
      backend.hold(new Holding(holder, List.of(claim.address()), List.of(), false));
    }
  }

  /** The Service now shows (or is about to show) these addresses itself: drop their stand-ins. */
  void dropStandIns(String uid, List<IpAddress> addresses) {
    for (IpAddress address : addresses) {
      String name = AddressClaim.nameOf(address);
      StandIn standIn = standIns.get(name);
      if (standIn != null && standIn.holderUids().contains(uid) && standIns.remove(name, standIn)) {
        // If the backend cannot release it now, its garbage collection does (the stand-in is no
        // longer live), and the Service's own holding takes its place meanwhile.
        releaseStandIn(standIn.owner());
      }
    }
  }

  /** Releases a stand-in in the backend; false (logged) when the backend could not. */
  private boolean releaseStandIn(OwnerRef owner) {
    try {
      backend.release(owner);
      return true;
    } catch (RuntimeException e) {
      LOG.warn("stand-in not released yet owner={} error=\"{}\"", owner.key(), e.getMessage());
      return false;
    }
  }

  /**
   * Frees claims whose Service is gone or has moved on (ClaimRules.holderState), once that has
   * been true for the grace period.
   * Runs outside every lock: each write carries a resourceVersion precondition.
   *
   * @return how many holders were released
   */
  int collect() {
    int released = 0;
    long now = System.nanoTime();
    Set<String> seen = new HashSet<>();
    for (AddressClaim claim : claims.all()) {
      IpAddress address = claim.address();
      try {
        for (AddressClaim.Holder holder : claim.holders()) {
          String key = claim.name() + "|" + holder.uid();
          V1Service service = services.namespace(holder.namespace()).get(holder.name());
          ClaimRules.HolderState state =
              ClaimRules.holderState(holder, address, Optional.ofNullable(service).map(ServiceSnapshot::of), scope);
          if (state == ClaimRules.HolderState.LIVE) {
            continue;
          }
          seen.add(key);
          long since;
          synchronized (staleSince) {
            since = staleSince.computeIfAbsent(key, k -> now);
          }
          if (now - since >= graceNanos) {
            claims.release(address, holder.uid());
            released++;
            metrics.claimsReleased.labels(state == ClaimRules.HolderState.GONE ? "service_gone" : "service_moved_on").inc();
            LOG.info("released orphaned claim address={} holder={} state={}", address, holder.key(), state);
          }
        }
      } catch (ApiException | RuntimeException e) {
        LOG.warn("claim garbage collection postponed address={} error=\"{}\"", address, e.getMessage());
      }
    }
    synchronized (staleSince) {
      staleSince.keySet().retainAll(seen);
    }
    return released;
  }

  private static AddressClaim.Holder holderOf(ServiceSnapshot service) {
    return new AddressClaim.Holder(service.namespace(), service.name(), service.uid(), service.ports());
  }
}
