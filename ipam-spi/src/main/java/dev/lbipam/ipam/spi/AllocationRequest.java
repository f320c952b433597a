package dev.lbipam.ipam.spi;

import dev.lbipam.ipam.spi.net.IpFamily;
import java.util.List;
import java.util.Objects;

/**
 * What a Service asks for.
 *
 * @param owner who will hold the addresses
 * @param families the Service's {@code spec.ipFamilies}, primary first; may be empty
 * @param policy the Service's {@code spec.ipFamilyPolicy}
 * @param ports its (protocol, port) pairs, used to decide whether an address may be shared
 */
public record AllocationRequest(OwnerRef owner, List<IpFamily> families, FamilyPolicy policy, List<PortKey> ports) {

  public AllocationRequest {
    Objects.requireNonNull(owner, "owner");
    families = List.copyOf(families);
    Objects.requireNonNull(policy, "policy");
    ports = List.copyOf(ports);
  }
}
