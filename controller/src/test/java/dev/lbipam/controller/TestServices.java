package dev.lbipam.controller;

import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.CoreV1Event;
import io.kubernetes.client.openapi.models.CoreV1EventList;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServicePort;
import io.kubernetes.client.openapi.models.V1ServiceSpec;
import io.kubernetes.client.util.PatchUtils;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Small admin-side helpers for the integration tests. */
final class TestServices {
  private final ApiClient admin;
  private final CoreV1Api core;

  TestServices(ApiClient admin) {
    this.admin = admin;
    this.core = new CoreV1Api(admin);
  }

  record Port(String protocol, int port) {}

  static V1Service loadBalancer(String namespace, String name) {
    return new V1Service()
        .metadata(new V1ObjectMeta().namespace(namespace).name(name))
        .spec(new V1ServiceSpec().type("LoadBalancer").addPortsItem(new V1ServicePort().name("p80").port(80).protocol("TCP")));
  }

  static V1Service withPorts(V1Service service, Port... ports) {
    List<V1ServicePort> list = new ArrayList<>();
    for (Port port : ports) {
      list.add(new V1ServicePort().name(port.protocol().toLowerCase() + port.port()).port(port.port()).protocol(port.protocol()));
    }
    service.getSpec().setPorts(list);
    return service;
  }

  static V1Service dualStack(V1Service service, String policy, String... families) {
    service.getSpec().ipFamilyPolicy(policy).ipFamilies(List.of(families));
    return service;
  }

  V1Service create(V1Service service) throws ApiException {
    return core.createNamespacedService(service.getMetadata().getNamespace(), service).execute();
  }

  Optional<V1Service> get(String namespace, String name) throws ApiException {
    try {
      return Optional.of(core.readNamespacedService(name, namespace).execute());
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** The annotation kube-vip's data plane reads, or empty. */
  Optional<String> addresses(String namespace, String name) throws ApiException {
    return get(namespace, name)
        .map(s -> s.getMetadata().getAnnotations())
        .map(a -> a.get(KubeVipNames.ADDRESSES_ANNOTATION));
  }

  /** Service name → the addresses annotation, for every Service in the namespace that has one. */
  Map<String, String> addressesByService(String namespace) throws ApiException {
    Map<String, String> result = new java.util.HashMap<>();
    for (V1Service service : list(namespace)) {
      var annotations = service.getMetadata().getAnnotations();
      if (annotations != null && annotations.containsKey(KubeVipNames.ADDRESSES_ANNOTATION)) {
        result.put(service.getMetadata().getName(), annotations.get(KubeVipNames.ADDRESSES_ANNOTATION));
      }
    }
    return result;
  }

  void delete(String namespace, String name) throws ApiException {
    core.deleteNamespacedService(name, namespace).execute();
  }

  List<V1Service> list(String namespace) throws ApiException {
    return core.listNamespacedService(namespace).execute().getItems();
  }

  /** How many Services the cluster has, in all namespaces (one page of metadata at a time). */
  int countAll() throws ApiException {
    int count = 0;
    String next = null;
    do {
      var page = core.listServiceForAllNamespaces().limit(5000)._continue(next).execute();
      count += page.getItems().size();
      next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
    } while (next != null && !next.isEmpty());
    return count;
  }

  List<CoreV1Event> events(String namespace, String serviceName) throws ApiException {
    return core.listNamespacedEvent(namespace)
        .fieldSelector("involvedObject.kind=Service,involvedObject.name=" + serviceName)
        .execute()
        .getItems();
  }

  /** How many Events the namespace holds, from one list of one item (the server counts the rest). */
  long eventCount(String namespace) throws ApiException {
    CoreV1EventList page = core.listNamespacedEvent(namespace).limit(1).execute();
    Long remaining = page.getMetadata() == null ? null : page.getMetadata().getRemainingItemCount();
    return page.getItems().size() + (remaining == null ? 0 : remaining);
  }

  boolean hasEvent(String namespace, String serviceName, String type, String reason, String messagePart)
      throws ApiException {
    return events(namespace, serviceName).stream()
        .anyMatch(e -> type.equals(e.getType()) && reason.equals(e.getReason())
            && e.getMessage() != null && e.getMessage().contains(messagePart));
  }

  /**
   * Creates or merges keys into the pool ConfigMap (a null value deletes the key). Returns the
   * ConfigMap's new resourceVersion.
   */
  String setPoolKeys(Map<String, String> keys) throws ApiException {
    try {
      core.readNamespacedConfigMap("kubevip", "kube-system").execute();
    } catch (ApiException e) {
      if (e.getCode() != 404) {
        throw e;
      }
      core.createNamespacedConfigMap("kube-system",
          new V1ConfigMap().metadata(new V1ObjectMeta().name("kubevip").namespace("kube-system")).data(new HashMap<>()))
          .execute();
    }
    Map<String, Object> patch = Map.of("data", new HashMap<>(keys));
    String json = new com.google.gson.GsonBuilder().serializeNulls().create().toJson(patch);
    V1ConfigMap patched =
        PatchUtils.patch(
            V1ConfigMap.class,
            () -> core.patchNamespacedConfigMap("kubevip", "kube-system", new V1Patch(json)).buildCall(null),
            V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
            admin);
    return patched.getMetadata().getResourceVersion();
  }

  void patchService(String namespace, String name, String json) throws ApiException {
    PatchUtils.patch(
        V1Service.class,
        () -> core.patchNamespacedService(name, namespace, new V1Patch(json)).buildCall(null),
        V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
        admin);
  }

  String createNamespace(String name) throws ApiException {
    core.createNamespace(new io.kubernetes.client.openapi.models.V1Namespace().metadata(new V1ObjectMeta().name(name))).execute();
    return name;
  }
}
