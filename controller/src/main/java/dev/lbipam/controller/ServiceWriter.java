package dev.lbipam.controller;

import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.util.PatchUtils;
import java.util.Optional;

/** Writes onto a Service: one JSON merge patch ({@link ServicePatch}) carrying the resourceVersion it was decided on. */
interface ServiceWriter {

  /** What one patch did. */
  sealed interface Written {
    /** 409: the Service changed since it was read; decide again from fresh state. */
    record Conflict() implements Written {}

    /** Gone (404): nothing to write onto. */
    record Gone() implements Written {}

    /** Written; the Service now has this resourceVersion. */
    record Patched(String resourceVersion) implements Written {}
  }

  Written patch(ServiceSnapshot service, String mergePatch) throws ApiException;

  /** The API server's writer, with our field manager. */
  static ServiceWriter of(ApiClient client) {
    CoreV1Api api = new CoreV1Api(client);
    return (service, mergePatch) -> {
      try {
        V1Service patched = PatchUtils.patch(
            V1Service.class,
            () -> api.patchNamespacedService(service.name(), service.namespace(), new V1Patch(mergePatch))
                .fieldManager(KubeVipNames.FIELD_MANAGER)
                .buildCall(null),
            V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
            client);
        return new Written.Patched(Optional.ofNullable(patched.getMetadata()).map(m -> m.getResourceVersion()).orElse(""));
      } catch (ApiException e) {
        if (e.getCode() == 409) {
          return new Written.Conflict();
        }
        if (e.getCode() == 404) {
          return new Written.Gone();
        }
        throw e;
      }
    };
  }
}
