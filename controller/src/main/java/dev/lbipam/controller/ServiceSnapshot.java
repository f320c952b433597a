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
    Map<String, String> annotations = keptAnnotations(meta.getAnnotations());
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

  /** kubectl's copy of the whole object: never read, and often the largest part of a Service. */
  static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

  private static Map<String, String> keptAnnotations(Map<String, String> annotations) {
    if (annotations == null) {
      return Map.of();
    }
    if (!annotations.containsKey(LAST_APPLIED)) {
      return annotations;
    }
    Map<String, String> kept = new java.util.HashMap<>(annotations);
    kept.remove(LAST_APPLIED);
    return kept;
  }

  /**
   * The informer's copy of a Service: only what {@link #of} reads (and the identity fields), so
   * that the cache of a large cluster stays small. {@code of(slim(s))} equals {@code of(s)}; the
   * controller writes merge patches, never whole objects, so nothing dropped here is written back.
   */
  public static V1Service slim(V1Service service) {
    var meta = service.getMetadata();
    var spec = service.getSpec();
    io.kubernetes.client.openapi.models.V1ObjectMeta slimMeta = new io.kubernetes.client.openapi.models.V1ObjectMeta();
    if (meta != null) {
      slimMeta.namespace(SharedStrings.of(meta.getNamespace())).name(meta.getName()).uid(meta.getUid())
          .resourceVersion(meta.getResourceVersion()).deletionTimestamp(meta.getDeletionTimestamp())
          .finalizers(SharedStrings.of(meta.getFinalizers())).labels(meta.getLabels());
      Map<String, String> annotations = keptAnnotations(meta.getAnnotations());
      slimMeta.annotations(meta.getAnnotations() == null ? null : annotations);
    }
    V1Service slim = new V1Service().apiVersion(SharedStrings.of(service.getApiVersion()))
        .kind(SharedStrings.of(service.getKind())).metadata(slimMeta);
    if (spec != null) {
      io.kubernetes.client.openapi.models.V1ServiceSpec slimSpec = new io.kubernetes.client.openapi.models.V1ServiceSpec()
          .type(SharedStrings.of(spec.getType())).loadBalancerClass(SharedStrings.of(spec.getLoadBalancerClass()))
          .loadBalancerIP(spec.getLoadBalancerIP())
          .ipFamilies(SharedStrings.of(spec.getIpFamilies())).ipFamilyPolicy(SharedStrings.of(spec.getIpFamilyPolicy()));
      if (spec.getPorts() != null) {
        List<V1ServicePort> ports = new ArrayList<>(spec.getPorts().size());
        for (V1ServicePort port : spec.getPorts()) {
          ports.add(new V1ServicePort().protocol(SharedStrings.of(port.getProtocol())).port(port.getPort()));
        }
        slimSpec.ports(ports);
      }
      slim.spec(slimSpec);
    }
    if (service.getStatus() != null && service.getStatus().getLoadBalancer() != null
        && service.getStatus().getLoadBalancer().getIngress() != null) {
      List<V1LoadBalancerIngress> ingress = new ArrayList<>();
      for (V1LoadBalancerIngress entry : service.getStatus().getLoadBalancer().getIngress()) {
        ingress.add(new V1LoadBalancerIngress().ip(entry.getIp()));
      }
      slim.status(new io.kubernetes.client.openapi.models.V1ServiceStatus()
          .loadBalancer(new io.kubernetes.client.openapi.models.V1LoadBalancerStatus().ingress(ingress)));
    }
    return slim;
  }

  /**
   * The same slim copy from the protobuf form of a Service, which the informer lists in (see {@link
   * ProtobufServicePages}). Empty repeated fields and maps read as absent, as {@link #of} treats them.
   */
  public static V1Service slim(io.kubernetes.client.proto.V1.Service service) {
    var meta = service.getMetadata();
    var spec = service.getSpec();
    io.kubernetes.client.openapi.models.V1ObjectMeta slimMeta = new io.kubernetes.client.openapi.models.V1ObjectMeta()
        .namespace(SharedStrings.of(meta.getNamespace())).name(meta.getName()).uid(meta.getUid()).resourceVersion(meta.getResourceVersion())
        .deletionTimestamp(meta.hasDeletionTimestamp() ? java.time.OffsetDateTime.ofInstant(
            java.time.Instant.ofEpochSecond(meta.getDeletionTimestamp().getSeconds(), meta.getDeletionTimestamp().getNanos()),
            java.time.ZoneOffset.UTC) : null)
        .finalizers(meta.getFinalizersCount() == 0 ? null : SharedStrings.of(meta.getFinalizersList()))
        .labels(meta.getLabelsCount() == 0 ? null : new java.util.HashMap<>(meta.getLabelsMap()))
        .annotations(meta.getAnnotationsCount() == 0 ? null : new java.util.HashMap<>(keptAnnotations(meta.getAnnotationsMap())));
    V1Service slim = new V1Service().apiVersion("v1").kind("Service").metadata(slimMeta);
    if (service.hasSpec()) {
      io.kubernetes.client.openapi.models.V1ServiceSpec slimSpec = new io.kubernetes.client.openapi.models.V1ServiceSpec()
          .type(spec.hasType() ? SharedStrings.of(spec.getType()) : null)
          .loadBalancerClass(spec.hasLoadBalancerClass() ? SharedStrings.of(spec.getLoadBalancerClass()) : null)
          .loadBalancerIP(spec.hasLoadBalancerIP() ? spec.getLoadBalancerIP() : null)
          .ipFamilies(spec.getIpFamiliesCount() == 0 ? null : SharedStrings.of(spec.getIpFamiliesList()))
          .ipFamilyPolicy(spec.hasIpFamilyPolicy() ? SharedStrings.of(spec.getIpFamilyPolicy()) : null);
      if (spec.getPortsCount() > 0) {
        List<V1ServicePort> ports = new ArrayList<>(spec.getPortsCount());
        for (var port : spec.getPortsList()) {
          ports.add(new V1ServicePort().protocol(port.hasProtocol() ? SharedStrings.of(port.getProtocol()) : null)
              .port(port.hasPort() ? port.getPort() : null));
        }
        slimSpec.ports(ports);
      }
      slim.spec(slimSpec);
    }
    if (service.getStatus().getLoadBalancer().getIngressCount() > 0) {
      List<V1LoadBalancerIngress> ingress = new ArrayList<>();
      for (var entry : service.getStatus().getLoadBalancer().getIngressList()) {
        ingress.add(new V1LoadBalancerIngress().ip(entry.hasIp() ? entry.getIp() : null));
      }
      slim.status(new io.kubernetes.client.openapi.models.V1ServiceStatus()
          .loadBalancer(new io.kubernetes.client.openapi.models.V1LoadBalancerStatus().ingress(ingress)));
    }
    return slim;
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
