package dev.lbipam.controller;

import dev.lbipam.ipam.spi.FamilyPolicy;
import dev.lbipam.ipam.spi.PortKey;
import dev.lbipam.ipam.spi.net.IpFamily;
import io.kubernetes.client.openapi.models.V1LoadBalancerIngress;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The parts of a Service this controller reads, as an immutable value. */
public record ServiceSnapshot(
    String namespace,
    String name,
    String uid,
    String resourceVersion,
    boolean deleting,
    String type,
    Optional<String> loadBalancerClass,
    Optional<String> addressesAnnotation,
    Optional<String> specLoadBalancerIp,
    List<String> ingressIps,
    List<String> families,
    Optional<String> familyPolicy,
    List<PortKey> ports,
    List<String> finalizers,
    Map<String, String> labels,
    Map<String, String> annotations) {

  public ServiceSnapshot {
    ingressIps = List.copyOf(ingressIps);
    families = List.copyOf(families);
    ports = List.copyOf(ports);
    finalizers = List.copyOf(finalizers);
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
  }

  public String key() {
    return namespace + "/" + name;
  }

  public boolean hasFinalizer() {
    return finalizers.contains(KubeVipNames.FINALIZER);
  }

  /** Projects a Service; tolerant of every missing field. */
  public static ServiceSnapshot of(V1Service service) {
    var meta = service.getMetadata();
    var spec = service.getSpec();
    Map<String, String> annotations = meta.getAnnotations() == null ? Map.of() : meta.getAnnotations();
    List<String> ingress = new ArrayList<>();
    if (service.getStatus() != null
        && service.getStatus().getLoadBalancer() != null
        && service.getStatus().getLoadBalancer().getIngress() != null) {
      for (V1LoadBalancerIngress entry : service.getStatus().getLoadBalancer().getIngress()) {
        if (entry.getIp() != null && !entry.getIp().isEmpty()) {
          ingress.add(entry.getIp());
        }
      }
    }
    List<PortKey> ports = new ArrayList<>();
    if (spec != null && spec.getPorts() != null) {
      for (V1ServicePort port : spec.getPorts()) {
        ports.add(new PortKey(port.getProtocol() == null ? "TCP" : port.getProtocol(), port.getPort() == null ? 0 : port.getPort()));
      }
    }
    return new ServiceSnapshot(
        meta.getNamespace(),
        meta.getName(),
        meta.getUid() == null ? "" : meta.getUid(),
        meta.getResourceVersion(),
        meta.getDeletionTimestamp() != null,
        spec == null || spec.getType() == null ? "ClusterIP" : spec.getType(),
        Optional.ofNullable(spec == null ? null : spec.getLoadBalancerClass()),
        Optional.ofNullable(annotations.get(KubeVipNames.ADDRESSES_ANNOTATION)),
        Optional.ofNullable(spec == null ? null : spec.getLoadBalancerIP()).filter(s -> !s.isEmpty()),
        ingress,
        spec == null || spec.getIpFamilies() == null ? List.of() : spec.getIpFamilies(),
        Optional.ofNullable(spec == null ? null : spec.getIpFamilyPolicy()),
        ports,
        meta.getFinalizers() == null ? List.of() : meta.getFinalizers(),
        meta.getLabels() == null ? Map.of() : meta.getLabels(),
        annotations);
  }

  /** Families as typed values; unknown entries are ignored (the API server validates them). */
  public List<IpFamily> ipFamilies() {
    List<IpFamily> typed = new ArrayList<>();
    for (String family : families) {
      try {
        typed.add(IpFamily.fromKubernetesName(family));
      } catch (IllegalArgumentException ignored) {
        // The API server only accepts IPv4 and IPv6.
      }
    }
    return typed;
  }

  public FamilyPolicy policy() {
    try {
      return FamilyPolicy.fromKubernetes(familyPolicy.orElse(null));
    } catch (IllegalArgumentException e) {
      return FamilyPolicy.SINGLE_STACK;
    }
  }
}
