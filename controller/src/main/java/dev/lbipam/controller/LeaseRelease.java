package dev.lbipam.controller;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoordinationV1Api;
import io.kubernetes.client.openapi.models.V1Lease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the leader Lease back on a clean shutdown, once nothing writes any more, so the standby
 * takes over at its next retry instead of waiting for the lease to expire. An empty holder is what
 * client-java's and client-go's electors read as "free now". Only a Lease we still hold is touched
 * (an update with the resourceVersion just read: a changed Lease is left alone).
 */
final class LeaseRelease {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseRelease.class);

  private LeaseRelease() {}

  static void release(ApiClient client, String namespace, String name, String identity) {
    CoordinationV1Api api = new CoordinationV1Api(client);
    try {
      V1Lease lease = api.readNamespacedLease(name, namespace).execute();
      if (lease.getSpec() == null || !identity.equals(lease.getSpec().getHolderIdentity())) {
        LOG.info("leader lease held by someone else; not released holder={}",
            lease.getSpec() == null ? "" : lease.getSpec().getHolderIdentity());
        return;
      }
      lease.getSpec().holderIdentity(null).acquireTime(null).renewTime(null).leaseDurationSeconds(1);
      api.replaceNamespacedLease(name, namespace, lease).execute();
      LOG.info("leader lease released lease={}/{}", namespace, name);
    } catch (ApiException e) {
      LOG.warn("could not release the leader lease; the standby takes over when it expires code={}", e.getCode());
    }
  }
}
