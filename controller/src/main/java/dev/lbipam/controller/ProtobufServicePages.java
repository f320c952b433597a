package dev.lbipam.controller;

import io.kubernetes.client.ProtoClient;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1ListMeta;
import io.kubernetes.client.openapi.models.V1Service;
import io.kubernetes.client.openapi.models.V1ServiceList;
import io.kubernetes.client.proto.V1;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Service informer's list, page by page, in the API server's protobuf encoding, each item made
 * slim ({@link ServiceSnapshot#slim(V1.Service)}) as its page is decoded. Listing every Service is
 * what a replica's start costs in a large cluster; protobuf is cheaper than JSON for the API server
 * to write and for us to read (docs/benchmarks.md). The watch stays JSON: its events are few.
 */
final class ProtobufServicePages implements PagedListerWatcher.Pager<V1ServiceList> {
  private final ProtoClient proto;

  ProtobufServicePages(ApiClient client) {
    this.proto = new ProtoClient(client);
  }

  @Override
  public V1ServiceList page(int limit, String continueToken) throws ApiException {
    String path = "/api/v1/services?limit=" + limit
        + (continueToken == null ? "" : "&continue=" + URLEncoder.encode(continueToken, StandardCharsets.UTF_8));
    ProtoClient.ObjectOrStatus<V1.ServiceList> answer;
    try {
      answer = proto.list(V1.ServiceList.newBuilder(), path);
    } catch (IOException e) {
      throw new ApiException(e);
    }
    if (answer.object == null) {
      int code = answer.status == null ? 0 : answer.status.getCode();
      throw new ApiException(code, "listing Services failed: " + (answer.status == null ? "no answer" : answer.status.getMessage()));
    }
    V1.ServiceList list = answer.object;
    List<V1Service> items = new ArrayList<>(list.getItemsCount());
    for (V1.Service service : list.getItemsList()) {
      items.add(ServiceSnapshot.slim(service));
    }
    return new V1ServiceList().items(items)
        .metadata(new V1ListMeta().resourceVersion(list.getMetadata().getResourceVersion())._continue(list.getMetadata().getContinue()));
  }
}
