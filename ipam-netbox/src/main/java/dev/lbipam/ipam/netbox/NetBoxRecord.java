package dev.lbipam.ipam.netbox;

import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One NetBox IP address record, reduced to what lbipam reads. {@code customFields} holds the
 * string values only.
 */
public record NetBoxRecord(
    long id,
    IpAddress address,
    int maskLength,
    Optional<Long> vrfId,
    String status,
    String dnsName,
    String description,
    Set<String> tags,
    Map<String, String> customFields) {

  public NetBoxRecord {
    tags = Set.copyOf(tags);
    customFields = Map.copyOf(customFields);
  }

  public Optional<String> customField(String name) {
    return Optional.ofNullable(customFields.get(name));
  }

  /** {@code 10.0.0.1/24}, as NetBox shows it. */
  public String display() {
    return address + "/" + maskLength;
  }

  /** A short description for messages: id, address and who recorded it. */
  public String describe() {
    return "ip-address #" + id + " (" + display() + (description.isEmpty() ? "" : ", description \"" + description + "\"") + ")";
  }
}
