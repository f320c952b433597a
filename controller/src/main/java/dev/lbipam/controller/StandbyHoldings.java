package dev.lbipam.controller;

import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The backend's holdings at take-over, ready before the lease is won where the backend allows it
 * (ADR 0019). An {@link IpamBackend#inProcessOnly() in-process} backend follows the Service
 * informer while this replica stands by: each event holds or releases what that Service shows,
 * quietly (a standby writes no Events). Taking over then holds only the Services whose latest
 * version it has not applied yet and releases those gone meanwhile. Any other backend hears nothing
 * until then, and taking over holds every Service, as a start-up does.
 *
 * <p>Either way the backend ends as a fresh {@link Holdings#holdAll} over the cache would leave it.
 */
final class StandbyHoldings implements ResourceEventHandler<V1Service> {
  /** The cached object last applied (compared by identity: the informer replaces, never edits), and who held. */
  private record Applied(V1Service seen, OwnerRef holder) {}

  /** What {@link #takeOver} did: Services holding addresses, and those it had to apply itself. */
  record TakeOver(int holders, int applied) {}

  private final Holdings holdings;
  private final IpamBackend backend;
  private final Owners owners;
  private final Lister<V1Service> services;
  private final Map<String, Applied> applied = new HashMap<>();
  private volatile boolean following;

  StandbyHoldings(Holdings holdings, Lister<V1Service> services) {
    this.holdings = holdings;
    this.backend = holdings.backend();
    this.owners = holdings.owners();
    this.services = services;
    this.following = backend.inProcessOnly();
  }

  // The volatile check first: once leading (or for a backend that is not in-process) an event
  // takes no lock, so a take-over that holds a remote backend's Services never stalls the informer.
  @Override
  public void onAdd(V1Service service) {
    onUpdate(null, service);
  }

  @Override
  public void onUpdate(V1Service before, V1Service after) {
    if (following) {
      synchronized (this) {
        if (following) {
          apply(after, false);
        }
      }
    }
  }

  @Override
  public void onDelete(V1Service service, boolean finalStateUnknown) {
    if (following && service != null && service.getMetadata() != null) {
      synchronized (this) {
        if (following) {
          forget(keyOf(service));
        }
      }
    }
  }

  /**
   * Stops following and brings the backend up to the cache, reporting clashes as start-up does.
   * Called before any worker runs; a second call (a start-up that failed later on) holds every
   * Service again.
   */
  synchronized TakeOver takeOver() {
    following = false;
    int holders = 0;
    int caughtUp = 0;
    for (V1Service cached : services.list()) {
      Applied last = applied.get(keyOf(cached));
      if (last == null || last.seen() != cached) {
        caughtUp++;
        if (apply(cached, true)) {
          holders++;
        }
      } else if (last.holder() != null) {
        holders++;
      }
    }
    for (Applied last : List.copyOf(applied.values())) {
      V1Service seen = last.seen();
      if (services.namespace(seen.getMetadata().getNamespace()).get(seen.getMetadata().getName()) == null) {
        forget(keyOf(seen));
        caughtUp++;
      }
    }
    applied.clear();
    return new TakeOver(holders, caughtUp);
  }

  /** A Service gone from the cache: what it held is free. */
  private void forget(String key) {
    Applied gone = applied.remove(key);
    if (gone != null && gone.holder() != null) {
      backend.release(gone.holder());
    }
    owners.forget(key);
  }

  /** Holds what one Service shows (releasing what its key held before); whether it holds any. */
  private boolean apply(V1Service cached, boolean report) {
    ServiceSnapshot service = ServiceSnapshot.of(cached);
    Optional<OwnerRef> replaced = owners.remember(service);
    OwnerRef owner = owners.of(service);
    Optional<Holding> shown = holdings.shown(service, owner);
    Applied last = applied.get(service.key());
    OwnerRef previous = last == null ? replaced.orElse(null) : last.holder();
    if (previous != null && (shown.isEmpty() || !previous.equals(owner))) {
      backend.release(previous);
    }
    if (shown.isPresent()) {
      owners.addressed(owner);
      if (report) {
        holdings.hold(service, owner, shown.get().addresses(), shown.get().managed());
      } else {
        backend.hold(shown.get());
      }
    } else {
      owners.unaddressed(owner);
    }
    if (following) {
      applied.put(service.key(), new Applied(cached, shown.isPresent() ? owner : null));
    }
    return shown.isPresent();
  }

  private static String keyOf(V1Service service) {
    return service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
  }
}
