package dev.lbipam.controller;

import dev.lbipam.ipam.spi.OwnerRef;
import io.kubernetes.client.informer.cache.Lister;
import io.kubernetes.client.openapi.models.V1Service;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The owners that are live at the moment of asking, for the backend's garbage collection: every
 * Service in the cache (by uid) and every claim stand-in. {@link #contains} reads the cache each
 * time, so a Service that appeared and got an address while a maintenance round ran still counts,
 * and the round needs no lock against the workers. Iteration is a snapshot.
 */
final class LiveOwners extends AbstractSet<OwnerRef> {
  private final String clusterId;
  private final Lister<V1Service> services;
  private final ClaimKeeper claims;
  private final Owners owners;

  LiveOwners(String clusterId, Lister<V1Service> services, ClaimKeeper claims, Owners owners) {
    this.clusterId = clusterId;
    this.services = services;
    this.claims = claims;
    this.owners = owners;
  }

  @Override
  public boolean contains(Object o) {
    if (!(o instanceof OwnerRef owner) || !owner.clusterId().equals(clusterId)) {
      return false;
    }
    if (ClaimKeeper.isStandIn(owner)) {
      return claims.holdsStandIn(owner);
    }
    V1Service service = services.namespace(owner.namespace()).get(owner.name());
    return service != null && service.getMetadata() != null && owner.uid().equals(service.getMetadata().getUid());
  }

  @Override
  public Iterator<OwnerRef> iterator() {
    List<OwnerRef> now = new ArrayList<>();
    for (V1Service service : services.list()) {
      now.add(owners.of(ServiceSnapshot.of(service)));
    }
    now.addAll(claims.standInOwners());
    return now.iterator();
  }

  @Override
  public int size() {
    return services.list().size() + claims.standInOwners().size();
  }
}
