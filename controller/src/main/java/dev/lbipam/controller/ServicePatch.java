package dev.lbipam.controller;

import dev.lbipam.ipam.spi.KubeVipConventions;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import dev.lbipam.ipam.spi.net.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Builds JSON merge patches for a Service by hand (typed models would wipe fields). Every patch
 * carries the resourceVersion it was decided on, so a concurrent change yields 409, never a lost
 * update. Returns empty when nothing would change.
 */
public final class ServicePatch {
  private static final Gson GSON = new com.google.gson.GsonBuilder().serializeNulls().create();

  private ServicePatch() {}

  /** Label, finalizer, and optionally addresses (annotation + spec) and interface. */
  public static Optional<String> ensure(
      ServiceSnapshot service, Optional<List<IpAddress>> addresses, Optional<String> serviceInterface, boolean adoptLegacy) {
    JsonObject metadata = new JsonObject();
    JsonObject labels = new JsonObject();
    JsonObject annotations = new JsonObject();
    JsonObject spec = new JsonObject();
    if (!KubeVipNames.IMPLEMENTATION_VALUE.equals(service.labels().get(KubeVipNames.IMPLEMENTATION_LABEL))) {
      labels.addProperty(KubeVipNames.IMPLEMENTATION_LABEL, KubeVipNames.IMPLEMENTATION_VALUE);
    }
    if (adoptLegacy && service.labels().containsKey(KubeVipNames.LEGACY_ADDRESS_LABEL)) {
      labels.add(KubeVipNames.LEGACY_ADDRESS_LABEL, JsonNull.INSTANCE);
    }
    if (addresses.isPresent()) {
      String joined = addresses.get().stream().map(IpAddress::toString).collect(Collectors.joining(","));
      if (!service.addressesAnnotation().equals(Optional.of(joined))) {
        annotations.addProperty(KubeVipNames.ADDRESSES_ANNOTATION, joined);
      }
      String first = addresses.get().get(0).toString();
      if (!service.specLoadBalancerIp().equals(Optional.of(first)) && !adoptLegacy) {
        spec.addProperty("loadBalancerIP", first);
      }
    } else {
      // Spaces around entries are accepted, and taken out so that the data plane reads the value.
      service.addressesAnnotation()
          .map(ServicePatch::trimEntries)
          .filter(trimmed -> !trimmed.equals(service.addressesAnnotation().get()))
          .ifPresent(trimmed -> annotations.addProperty(KubeVipNames.ADDRESSES_ANNOTATION, trimmed));
    }
    serviceInterface.ifPresent(
        name -> {
          if (!name.equals(service.annotations().get(KubeVipNames.INTERFACE_ANNOTATION))) {
            annotations.addProperty(KubeVipNames.INTERFACE_ANNOTATION, name);
          }
        });
    boolean finalizerMissing = !service.hasFinalizer();
    if (labels.size() == 0 && annotations.size() == 0 && spec.size() == 0 && !finalizerMissing) {
      return Optional.empty();
    }
    if (finalizerMissing) {
      List<String> finalizers = new ArrayList<>(service.finalizers());
      finalizers.add(KubeVipNames.FINALIZER);
      metadata.add("finalizers", toArray(finalizers));
    }
    if (labels.size() > 0) {
      metadata.add("labels", labels);
    }
    if (annotations.size() > 0) {
      metadata.add("annotations", annotations);
    }
    return Optional.of(wrap(service, metadata, spec));
  }

  static String trimEntries(String list) {
    return String.join(",", KubeVipConventions.listEntries(list));
  }

  /** Adds our finalizer and nothing else; empty when it is there. */
  public static Optional<String> addFinalizer(ServiceSnapshot service) {
    return service.hasFinalizer() ? Optional.empty() : Optional.of(finalizers(service, true));
  }

  /** Removes our finalizer; empty when it is not there. */
  public static Optional<String> removeFinalizer(ServiceSnapshot service) {
    return service.hasFinalizer() ? Optional.of(finalizers(service, false)) : Optional.empty();
  }

  /** A patch of the finalizer list alone, with or without ours. */
  private static String finalizers(ServiceSnapshot service, boolean withOurs) {
    List<String> finalizers = new ArrayList<>(service.finalizers());
    finalizers.remove(KubeVipNames.FINALIZER);
    if (withOurs) {
      finalizers.add(KubeVipNames.FINALIZER);
    }
    JsonObject metadata = new JsonObject();
    metadata.add("finalizers", toArray(finalizers));
    return wrap(service, metadata, new JsonObject());
  }

  private static String wrap(ServiceSnapshot service, JsonObject metadata, JsonObject spec) {
    metadata.addProperty("resourceVersion", service.resourceVersion());
    JsonObject patch = new JsonObject();
    patch.add("metadata", metadata);
    if (spec.size() > 0) {
      patch.add("spec", spec);
    }
    return GSON.toJson(patch);
  }

  private static JsonArray toArray(List<String> values) {
    JsonArray array = new JsonArray();
    values.forEach(array::add);
    return array;
  }
}
