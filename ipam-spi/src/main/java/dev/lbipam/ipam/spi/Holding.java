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
}
