package dev.lbipam.controller;

import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.List;

/**
 * What to do with one Service; produced by {@link ServiceDecider}, carried out by {@link
 * ServiceActions}. Each carries what the writer needs, so nothing is parsed twice: {@link #shown()}
 * is every address the Service shows anywhere (annotation, spec, status), read leniently.
 */
public sealed interface Decision {

  List<IpAddress> shown();

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

  /** Not ours (wrong type or class): only count what it shows, and drop our finalizer if present. */
  record NotOurs(List<IpAddress> shown, boolean removeFinalizer) implements Decision {}

  /** Being deleted: remove our finalizer if present; the addresses go when the Service is gone. */
  record Release(List<IpAddress> shown, boolean removeFinalizer) implements Decision {}

  /** The annotation already names its addresses: hold them, ensure label and finalizer. */
  record Keep(List<IpAddress> addresses, List<IpAddress> shown) implements Decision {}

  /** Only {@code spec.loadBalancerIP} is set: copy it into the annotation. */
  record Adopt(List<IpAddress> addresses, List<IpAddress> shown) implements Decision {}

  /** The annotation (or spec field) is malformed; what the Service shows still counts as used. */
  record Invalid(String field, String value, String problem, List<IpAddress> shown) implements Decision {}

  /** Needs addresses from the backend; what its status still shows is stale. */
  record Allocate(List<IpAddress> shown) implements Decision {}
}
