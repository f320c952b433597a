package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.spi.OwnerRef;
import dev.lbipam.ipam.spi.net.IpFamily;
import java.util.Objects;
import java.util.Optional;

/**
 * The value of the claim custom field: {@code <cluster>/<namespace>/<name>/<uid>/<ipv4|ipv6>}. One
 * record per owner and family; the field is unique in NetBox, so a retried create for the same
 * owner fails instead of adding a second address. Readable on purpose: operators see in NetBox
 * which Service holds an address. Only the uid may contain {@code /} (the cluster id is checked
 * at start, namespaces and names never do; the host's stand-in owners have uids such as {@code
 * claim/10.0.0.1}).
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
    if (parts.length < 5) {
      return Optional.empty();
    }
    for (int i = 0; i < 3; i++) {
      if (parts[i].isEmpty()) {
        return Optional.empty();
      }
    }
    IpFamily family;
    String last = parts[parts.length - 1];
    if (last.equals("ipv4")) {
      family = IpFamily.IPV4;
    } else if (last.equals("ipv6")) {
      family = IpFamily.IPV6;
    } else {
      return Optional.empty();
    }
    String uid = String.join("/", java.util.Arrays.asList(parts).subList(3, parts.length - 1));
    return Optional.of(new ClaimKey(new OwnerRef(parts[0], parts[1], parts[2], uid), family));
  }

  /** Whether this owner's claim reads back as the same owner (its namespace and name hold no {@code /}). */
  public boolean readsBack() {
    return parse(text()).filter(this::equals).isPresent();
  }

  private static String suffix(IpFamily family) {
    return family == IpFamily.IPV4 ? "ipv4" : "ipv6";
  }

  @Override
  public String toString() {
    return text();
  }
}
