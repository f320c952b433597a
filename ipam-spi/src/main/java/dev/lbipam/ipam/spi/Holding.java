package dev.lbipam.ipam.spi;

import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.List;
import java.util.Objects;

/**
 * Addresses a Service already holds, as the cluster records them (annotation, spec, status).
 *
 * @param managed true when this controller manages the Service (its type and class match); a
 *     backend with external state claims only managed holdings, but every holding counts as used
 */
public record Holding(OwnerRef owner, List<IpAddress> addresses, List<PortKey> ports, boolean managed) {

  public Holding {
    Objects.requireNonNull(owner, "owner");
    addresses = List.copyOf(addresses);
    ports = List.copyOf(ports);
  }

  /**
   * The sharing rule between two holders of one address: both managed by us (a Service of another
   * load balancer never shares with ours, as in kube-vip) and their ports compatible ({@link
   * PortKey#canShare}).
   */
  public boolean canShareWith(Holding other) {
    return managed && other.managed && PortKey.canShare(ports, other.ports);
  }
}
