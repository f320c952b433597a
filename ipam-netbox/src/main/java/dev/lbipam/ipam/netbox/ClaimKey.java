package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpFamily;
import java.util.Objects;
import java.util.Optional;

/**
 * The value of the claim custom field: {@code <cluster>/<namespace>/<name>/<uid>/<ipv4|ipv6>}. One
 * record per owner and family; the field is unique in NetBox, so a retried create for the same
 * owner fails instead of adding a second address. Readable on purpose: operators see in NetBox
 * which Service holds an address. None of the parts can contain {@code /} (the cluster id is
 * checked at start; namespaces, names and uids never do).
 */
public record ClaimKey(OwnerRef owner, IpFamily family) {

  public ClaimKey {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(family, "family");
  }

  public String text() {
    return owner.clusterId() + "/" + owner.namespace() + "/" + owner.name() + "/" + owner.uid() + "/" + suffix(family);
  }

  /** Reads a claim; empty for anything that is not one (e.g. edited by hand). */
  public static Optional<ClaimKey> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    String[] parts = text.split("/", -1);
    if (parts.length != 5) {
      return Optional.empty();
    }
    for (int i = 0; i < 3; i++) {
      if (parts[i].isEmpty()) {
        return Optional.empty();
      }
    }
    IpFamily family;
    if (parts[4].equals("ipv4")) {
      family = IpFamily.IPV4;
    } else if (parts[4].equals("ipv6")) {
      family = IpFamily.IPV6;
    } else {
      return Optional.empty();
    }
    return Optional.of(new ClaimKey(new OwnerRef(parts[0], parts[1], parts[2], parts[3]), family));
  }

  private static String suffix(IpFamily family) {
    return family == IpFamily.IPV4 ? "ipv4" : "ipv6";
  }

  @Override
  public String toString() {
    return text();
  }
}
