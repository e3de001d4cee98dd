// The live watch page's player: hls.js where Media Source Extensions exist, the
// browser's own HLS on Apple's (Safari plays HLS natively). A signed URL (followers and
// subscribers streams) expires: before it does, the page fetches a fresh one and hls.js
// requests every later playlist and segment under the new signed prefix.
(function () {
  "use strict";
  var video = document.getElementById("live-video");
  if (!video) {
    return;
  }
  var url = video.dataset.hlsUrl;
  var signedPrefix = /\/live\/hls\/s\/\d+\/[A-Za-z0-9_-]+\//;
  var current = url.match(signedPrefix);
  var isApple = /Apple/.test(navigator.vendor || "");
  var nativeHls = video.canPlayType("application/vnd.apple.mpegurl") !== "";

  function renew() {
    fetch(video.dataset.renewUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        var fresh = body && body.hls_url && body.hls_url.match(signedPrefix);
        if (fresh) {
          current = fresh;
        }
      })
      .catch(function () {});
  }

  if ((isApple || !window.Hls || !window.Hls.isSupported()) && nativeHls) {
    video.src = url;
  } else if (window.Hls && window.Hls.isSupported()) {
    var hls = new window.Hls({
      liveSyncDurationCount: 3,
      xhrSetup: function (xhr, requested) {
        var target = current ? requested.replace(signedPrefix, current[0]) : requested;
        xhr.open("GET", target, true);
      },
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  } else {
    document.getElementById("live-video-error").hidden = false;
    return;
  }
  if (video.dataset.renewUrl) {
    window.setInterval(renew, Number(video.dataset.renewSeconds) * 1000);
  }
})();
