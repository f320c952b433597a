package dev.lbipam.ipam.spi;

import java.util.Objects;

/**
 * The stable identity of an address holder: the cluster, the Service's namespace and name, and its
 * uid. The uid tells a re-created Service of the same name apart from the one that was deleted.
 */
public record OwnerRef(String clusterId, String namespace, String name, String uid) {

  public OwnerRef {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uid, "uid");
  }

  /** {@code namespace/name}, the key Kubernetes tools use. */
  public String key() {
    return namespace + "/" + name;
  }

  @Override
  public String toString() {
    return clusterId + ":" + key() + "(" + uid + ")";
  }
}
