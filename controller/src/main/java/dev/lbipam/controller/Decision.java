package dev.lbipam.controller;

import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.List;

/** What to do with one Service; produced by {@link ServiceDecider}, carried out by the reconciler. */
public sealed interface Decision {

  /** The addresses the Service names itself (annotation or spec) and keeps: they get claims. */
  default List<IpAddress> pinned() {
    if (this instanceof Keep keep) {
      return keep.addresses();
    }
    if (this instanceof Adopt adopt) {
      return adopt.addresses();
    }
    return List.of();
  }

  /** Not ours (wrong type or class): only count what it holds, and drop our finalizer if present. */
  record NotOurs(List<IpAddress> held, boolean removeFinalizer) implements Decision {}

  /** Being deleted: release, then remove our finalizer if present. */
  record Release(boolean removeFinalizer) implements Decision {}

  /** The annotation already names its addresses: hold them, ensure label and finalizer. */
  record Keep(List<IpAddress> addresses) implements Decision {}

  /** Only {@code spec.loadBalancerIP} is set: copy it into the annotation. */
  record Adopt(List<IpAddress> addresses) implements Decision {}

  /** The annotation (or spec field) is malformed. */
  record Invalid(String field, String value, String problem, List<IpAddress> stillHeld) implements Decision {}

  /** Needs addresses from the backend. {@code held} is anything it already shows (status). */
  record Allocate(List<IpAddress> held) implements Decision {}
}
