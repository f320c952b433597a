package dev.lbipam.controller;

import dev.lbipam.ipam.spi.KubeVipConventions;
import dev.lbipam.ipam.spi.net.AddressFormatException;
import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/** Pure: {@code (Service snapshot, which Services are ours) -> Decision}. No client, no clock. */
public final class ServiceDecider {

  /** Which Services this controller handles. */
  public record Scope(boolean loadBalancerClassOnly, String loadBalancerClassName) {
    public boolean handles(ServiceSnapshot service) {
      if (!"LoadBalancer".equals(service.type())) {
        return false;
      }
      if (loadBalancerClassOnly) {
        return service.loadBalancerClass().map(loadBalancerClassName::equals).orElse(false);
      }
      return service.loadBalancerClass().isEmpty();
    }
  }

  private ServiceDecider() {}

  public static Decision decide(ServiceSnapshot service, Scope scope) {
    List<IpAddress> shown = heldLeniently(service);
    if (!scope.handles(service)) {
      return new Decision.NotOurs(shown, service.hasFinalizer());
    }
    if (service.deleting()) {
      return new Decision.Release(shown, service.hasFinalizer());
    }
    Optional<String> annotation = service.addressesAnnotation();
    if (annotation.isPresent()) {
      try {
        return new Decision.Keep(parseList(annotation.get()), shown);
      } catch (AddressFormatException e) {
        return new Decision.Invalid(
            "annotation " + KubeVipNames.ADDRESSES_ANNOTATION, annotation.get(), e.getMessage(), shown);
      }
    }
    if (service.specLoadBalancerIp().isPresent()) {
      try {
        return new Decision.Adopt(parseList(service.specLoadBalancerIp().get()), shown);
      } catch (AddressFormatException e) {
        return new Decision.Invalid("spec.loadBalancerIP", service.specLoadBalancerIp().get(), e.getMessage(), shown);
      }
    }
    return new Decision.Allocate(shown);
  }

  /**
   * Parses a comma-separated address list (entries trimmed). At most one address per family: the
   * kube-vip data plane announces the first of each.
   */
  public static List<IpAddress> parseList(String value) {
    List<IpAddress> addresses = new ArrayList<>();
    for (String trimmed : KubeVipConventions.listEntries(value)) {
      if (trimmed.isEmpty()) {
        throw new AddressFormatException("empty entry in \"" + value + "\"");
      }
      addresses.add(IpAddress.parse(trimmed));
    }
    if (addresses.size() > 2 || (addresses.size() == 2 && addresses.get(0).family() == addresses.get(1).family())) {
      throw new AddressFormatException("expected one address, or one IPv4 and one IPv6, in \"" + value + "\"");
    }
    return addresses;
  }

  /** Every address the Service shows anywhere, skipping what does not parse. */
  public static List<IpAddress> heldLeniently(ServiceSnapshot service) {
    LinkedHashSet<IpAddress> held = new LinkedHashSet<>();
    service.addressesAnnotation().ifPresent(a -> held.addAll(parseEach(KubeVipConventions.listEntries(a))));
    service.specLoadBalancerIp().ifPresent(a -> held.addAll(parseEach(List.of(a))));
    held.addAll(parseEach(service.ingressIps()));
    return List.copyOf(held);
  }

  private static List<IpAddress> parseEach(List<String> texts) {
    List<IpAddress> parsed = new ArrayList<>();
    for (String text : texts) {
      try {
        parsed.add(IpAddress.parse(text.trim()));
      } catch (AddressFormatException ignored) {
        // Lenient on purpose: counting what can be read beats failing the whole Service.
      }
    }
    return parsed;
  }
}
