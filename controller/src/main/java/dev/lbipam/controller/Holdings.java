package dev.lbipam.controller;

import dev.lbipam.ipam.spi.HoldOutcome;
import dev.lbipam.ipam.spi.Holding;
import dev.lbipam.ipam.spi.IpamBackend;
import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpAddress;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the backend what Services show, and acts on every {@link HoldOutcome}: a clash goes to both
 * Services as a Warning, an unavailable backend to the log (and back to the caller, who retries).
 */
record Holdings(
    String clusterId,
    IpamBackend backend,
    Lister<V1Service> services,
    ServiceDecider.Scope scope,
    Owners owners,
    Events events) {
  private static final Logger LOG = LoggerFactory.getLogger(Holdings.class);

  /** Records the addresses; when the backend could not (it is away), why: retry later. */
  Optional<String> hold(ServiceSnapshot service, OwnerRef owner, List<IpAddress> addresses, boolean managed) {
    HoldOutcome outcome = backend.hold(new Holding(owner, addresses, service.ports(), managed));
    if (outcome instanceof HoldOutcome.Conflicted conflicted) {
      for (HoldOutcome.Conflict conflict : conflicted.conflicts()) {
        LOG.warn("address clash service={} address={} other={}", service.key(), conflict.address(), conflict.otherOwner().key());
        warnBoth(service, conflict);
      }
    } else if (outcome instanceof HoldOutcome.Unavailable unavailable) {
      LOG.warn("backend could not record a holding service={} error=\"{}\"", service.key(), LogText.cap(unavailable.message()));
      return Optional.of(unavailable.message());
    }
    return Optional.empty();
  }

  /**
   * Records every address every cached Service shows (start-up, and after the backend lost its
   * state).
   *
   * @return how many Services hold addresses
   */
  int holdAll() {
    int holders = 0;
    for (V1Service cached : services.list()) {
      ServiceSnapshot service = ServiceSnapshot.of(cached);
      owners.remember(service);
      OwnerRef owner = owners.of(service);
      Optional<Holding> shown = shown(service, owner);
      if (shown.isPresent()) {
        owners.addressed(owner);
        hold(service, owner, shown.get().addresses(), shown.get().managed());
        holders++;
      }
    }
    return holders;
  }

  /**
   * What a Service holds as it stands: every address it shows, or nothing when it is about to get
   * new ones. A handled Service without annotation or spec address is such a one: what its status
   * still shows is stale (kube-vip: removing both means "give me a new one").
   */
  Optional<Holding> shown(ServiceSnapshot service, OwnerRef owner) {
    Decision decision = ServiceDecider.decide(service, scope);
    List<IpAddress> shown = decision instanceof Decision.Allocate ? List.of() : decision.shown();
    return shown.isEmpty() ? Optional.empty() : Optional.of(new Holding(owner, shown, service.ports(), scope.handles(service)));
  }

  /** Both sides of a clash hear of it, when the other side is a Service in this cluster. */
  void warnBoth(ServiceSnapshot service, HoldOutcome.Conflict conflict) {
    events.warning(service, EventReason.AddressInUse, conflict.message());
    OwnerRef other = conflict.otherOwner();
    if (!other.clusterId().equals(clusterId) || ClaimKeeper.isStandIn(other)) {
      return;
    }
    V1Service otherService = services.namespace(other.namespace()).get(other.name());
    if (otherService != null) {
      events.warning(ServiceSnapshot.of(otherService), EventReason.AddressInUse,
          "address " + conflict.address() + " is also held by Service " + service.key() + " and their ports clash");
    }
  }
}
