package dev.lbipam.controller;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.NetworkingV1Api;
import io.kubernetes.client.openapi.models.V1DeleteOptions;
import io.kubernetes.client.openapi.models.V1IPAddress;
import io.kubernetes.client.openapi.models.V1IPAddressList;
import io.kubernetes.client.openapi.models.V1Preconditions;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * lbipam before ADR 0016 claimed addresses as {@code networking.k8s.io/v1} IPAddress objects. The
 * leader deletes those that are left (its AddressClaims replace them), so that they no longer slow
 * every Service create down or keep ClusterIPs from being allocated.
 */
final class LegacyIpAddressClaims {
  static final String SELECTOR = "ipaddress.kubernetes.io/managed-by=lbipam.dev";
  private static final Logger LOG = LoggerFactory.getLogger(LegacyIpAddressClaims.class);
  private static final int PAGE = 500;

  private LegacyIpAddressClaims() {}

  /** @return how many were deleted; never throws (a failure is logged, the objects stay). */
  static int removeAll(ApiClient client) {
    NetworkingV1Api api = new NetworkingV1Api(client);
    int removed = 0;
    String next = null;
    try {
      do {
        V1IPAddressList page = api.listIPAddress().labelSelector(SELECTOR).limit(PAGE)._continue(next).execute();
        for (V1IPAddress object : page.getItems()) {
          if (delete(api, object)) {
            removed++;
          }
        }
        next = page.getMetadata() == null ? null : page.getMetadata().getContinue();
      } while (next != null && !next.isEmpty());
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return removed; // a cluster without the IPAddress API never had any
      }
      LOG.warn("old IPAddress claims not removed (HTTP {}); remove them with: kubectl delete ipaddresses -l {}",
          e.getCode(), SELECTOR);
    } catch (RuntimeException e) {
      LOG.warn("old IPAddress claims not removed error=\"{}\"; remove them with: kubectl delete ipaddresses -l {}",
          e.getMessage(), SELECTOR);
    }
    if (removed > 0) {
      LOG.info("removed the IPAddress claims of an earlier version removed={}", removed);
    }
    return removed;
  }

  private static boolean delete(NetworkingV1Api api, V1IPAddress object) throws ApiException {
    V1DeleteOptions options =
        new V1DeleteOptions().preconditions(new V1Preconditions().resourceVersion(object.getMetadata().getResourceVersion()));
    try (okhttp3.Response response = api.deleteIPAddress(object.getMetadata().getName()).body(options).buildCall(null).execute()) {
      if (response.code() == 403) {
        throw new ApiException(403, "forbidden");
      }
      return response.isSuccessful();
    } catch (IOException e) {
      throw new ApiException(e);
    }
  }
}
