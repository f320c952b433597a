package dev.lbipam.controller;

import dev.lbipam.ipam.spi.OwnerRef;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The owner (cluster, namespace, name, uid) of each Service key as last seen, and which owners have
 * been seen showing their addresses. If such a Service later shows neither annotation nor spec
 * address, the user removed them: kube-vip then hands out a new address, so the old holding goes.
 */
final class Owners {
  private final String clusterId;
  private final Map<String, OwnerRef> byKey = new ConcurrentHashMap<>();
  private final Set<OwnerRef> addressed = ConcurrentHashMap.newKeySet();

  Owners(String clusterId) {
    this.clusterId = clusterId;
  }

  OwnerRef of(ServiceSnapshot service) {
    return new OwnerRef(clusterId, service.namespace(), service.name(), service.uid());
  }

  /** Remembers the Service's owner; returns the one it replaces when the key now has another uid. */
  Optional<OwnerRef> remember(ServiceSnapshot service) {
    OwnerRef owner = of(service);
    OwnerRef previous = byKey.put(service.key(), owner);
    if (previous != null && !previous.equals(owner)) {
      addressed.remove(previous);
      return Optional.of(previous);
    }
    return Optional.empty();
  }

  /** Forgets a deleted Service; returns its owner if one was remembered. */
  Optional<OwnerRef> forget(String key) {
    OwnerRef owner = byKey.remove(key);
    if (owner != null) {
      addressed.remove(owner);
    }
    return Optional.ofNullable(owner);
  }

  void addressed(OwnerRef owner) {
    addressed.add(owner);
  }

  /** True when the owner had been seen with its addresses (and is no longer marked so). */
  boolean unaddressed(OwnerRef owner) {
    return addressed.remove(owner);
  }
}
