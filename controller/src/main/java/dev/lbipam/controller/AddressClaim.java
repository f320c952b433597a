package dev.lbipam.controller;

import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One {@code networking.k8s.io/v1} IPAddress object: the API server's record that an address is
 * taken. The object is named after the address, so the API server lets only one exist (ADR 0008).
 *
 * @param name the object name: the address in Kubernetes' canonical form
 * @param resourceVersion for preconditions on update and delete
 * @param holders the Services holding the address, first the one named in {@code parentRef};
 *     empty for an IPAddress that is not ours ({@code foreignHolder} says whose it is)
 * @param foreignHolder for an IPAddress managed by someone else (e.g. a ClusterIP): who holds it
 */
public record AddressClaim(String name, String resourceVersion, List<Holder> holders, Optional<String> foreignHolder) {

  public AddressClaim {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(resourceVersion, "resourceVersion");
    holders = List.copyOf(holders);
    Objects.requireNonNull(foreignHolder, "foreignHolder");
  }

  /** A Service holding the address, with the ports that decide whether it may be shared. */
  public record Holder(String namespace, String name, String uid, List<PortKey> ports) {
    public Holder {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(uid, "uid");
      ports = List.copyOf(ports);
    }

    public String key() {
      return namespace + "/" + name;
    }
  }

  /**
   * The name of the claim for an address. Kubernetes names IPAddress objects by the canonical text
   * of Go's {@code net.IP}, which prints an IPv4-mapped IPv6 address as IPv4: so
   * {@code ::ffff:10.0.0.1} and {@code 10.0.0.1} share one claim, as they are one host.
   */
  public static String nameOf(IpAddress address) {
    return address.unmapped().toString();
  }

  public boolean isOurs() {
    return foreignHolder.isEmpty();
  }

  public boolean heldBy(String uid) {
    return holders.stream().anyMatch(h -> h.uid().equals(uid));
  }

  /** Who holds it, for messages: {@code ns/name} of the first holder, or the foreign description. */
  public String describeHolder() {
    return foreignHolder.orElseGet(() -> holders.isEmpty() ? "nobody" : "Service " + holders.get(0).key());
  }
}
