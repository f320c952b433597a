package dev.lbipam.controller;

import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.List;
import java.util.Objects;

/**
 * One {@code lbipam.dev/v1alpha1} AddressClaim: the API server's record that an address is taken.
 * The object is named after the address, so the API server lets only one exist (ADR 0008, ADR 0016).
 *
 * @param name the object name, {@link #nameOf} the address
 * @param resourceVersion for preconditions on update and delete
 * @param holders the Services holding the address, the first one the claim was made for
 */
public record AddressClaim(String name, String resourceVersion, List<Holder> holders) {

  public AddressClaim {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(resourceVersion, "resourceVersion");
    holders = List.copyOf(holders);
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
   * The name of the claim for an address: one name per host, so an IPv4-mapped IPv6 address
   * ({@code ::ffff:10.0.0.1}) shares the claim of its IPv4 address. Object names allow no ':', so an
   * IPv6 address is written as its eight groups in full, joined by '-' (unique, and never starts or
   * ends with '-', as a name must not).
   */
  public static String nameOf(IpAddress address) {
    IpAddress host = address.unmapped();
    if (host.isIpv4()) {
      return host.toString();
    }
    String hex = String.format("%032x", host.value());
    StringBuilder name = new StringBuilder(39);
    for (int group = 0; group < 8; group++) {
      if (group > 0) {
        name.append('-');
      }
      name.append(hex, group * 4, group * 4 + 4);
    }
    return name.toString();
  }

  /** The address a claim name stands for; the inverse of {@link #nameOf}. */
  public static IpAddress addressOf(String name) {
    return IpAddress.parse(name.indexOf('-') >= 0 ? name.replace('-', ':') : name);
  }

  public IpAddress address() {
    return addressOf(name);
  }

  public boolean heldBy(String uid) {
    return holders.stream().anyMatch(h -> h.uid().equals(uid));
  }

  /** Who holds it, for messages: {@code Service ns/name} of the first holder. */
  public String describeHolder() {
    return holders.isEmpty() ? "nobody" : "Service " + holders.get(0).key();
  }
}
