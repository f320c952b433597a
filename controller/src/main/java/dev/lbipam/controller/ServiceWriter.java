package dev.lbipam.controller;

import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.util.PatchUtils;

/** Writes onto a Service: one JSON merge patch ({@link ServicePatch}) carrying the resourceVersion it was decided on. */
interface ServiceWriter {

  /**
   * @return false when the Service changed since it was read (409: decide again from fresh state);
   *     true when written, or when the Service is gone (404)
   */
  boolean patch(ServiceSnapshot service, String mergePatch) throws ApiException;

  /** The API server's writer, with our field manager. */
  static ServiceWriter of(ApiClient client) {
    CoreV1Api api = new CoreV1Api(client);
    return (service, mergePatch) -> {
      try {
        PatchUtils.patch(
            V1Service.class,
            () -> api.patchNamespacedService(service.name(), service.namespace(), new V1Patch(mergePatch))
                .fieldManager(KubeVipNames.FIELD_MANAGER)
                .buildCall(null),
            V1Patch.PATCH_FORMAT_JSON_MERGE_PATCH,
            client);
        return true;
      } catch (ApiException e) {
        if (e.getCode() == 409) {
          return false;
        }
        if (e.getCode() == 404) {
          return true;
        }
        throw e;
      }
    };
  }
}
