// Minimal series viewer: slice scrolling, window/level, NIfTI axes.
// Talks to the same REST API as any client, with the session cookie.
(function () {
  "use strict";
  const root = document.getElementById("viewer");
  if (!root) return;
  const img = document.getElementById("viewer-image");
  const slider = document.getElementById("viewer-slice");
  const label = document.getElementById("viewer-slice-label");
  const axisSelect = document.getElementById("viewer-axis");
  const wcInput = document.getElementById("viewer-wc");
  const wwInput = document.getElementById("viewer-ww");
  let slices = [], images = {}, current = null, pending = null;

  async function json(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error((await r.json()).error.message);
    return r.json();
  }

  async function openSeries(seriesId) {
    const series = await json(`/api/series/${seriesId}/`);
    slices = series.slices;
    images = {};
    current = series;
    const first = slices.length ? await json(`/api/images/${slices[0].image_id}/`) : null;
    if (first) { images[first.id] = first; wcInput.value = first.window_center; wwInput.value = first.window_width; }
    const isNifti = first && first.kind === "nifti";
    axisSelect.disabled = !isNifti;
    axisSelect.value = "axial";
    slider.max = Math.max(0, slices.length - 1);
    slider.value = Math.floor(slices.length / 2);
    show();
  }

  function show() {
    if (!slices.length) return;
    const s = slices[Number(slider.value)];
    const params = new URLSearchParams({ frame: s.frame, wc: wcInput.value, ww: wwInput.value });
    if (!axisSelect.disabled && axisSelect.value !== "axial") params.set("axis", axisSelect.value);
    label.textContent = `${Number(slider.value) + 1} / ${slices.length}`;
    clearTimeout(pending);
    pending = setTimeout(() => { img.src = `/api/images/${s.image_id}/render/?${params}`; }, 30);
  }

  async function changeAxis() {
    // a NIfTI volume has a different number of slices along each axis
    const image = images[slices[0].image_id];
    if (!image) return;
    if (axisSelect.value === "axial") { await openSeries(current.id); return; }
    const dims = image.shape;  // canonical RAS: x = sagittal, y = coronal
    const count = axisSelect.value === "sagittal" ? dims[0] : dims[1];
    slices = Array.from({ length: count }, (_, i) => ({ image_id: image.id, frame: i }));
    slider.max = count - 1; slider.value = Math.floor(count / 2);
    show();
  }

  root.querySelectorAll("button.series").forEach((b) => b.addEventListener("click", () => openSeries(b.dataset.seriesId)));
  slider.addEventListener("input", show);
  wcInput.addEventListener("change", show);
  wwInput.addEventListener("change", show);
  axisSelect.addEventListener("change", changeAxis);
  document.getElementById("viewer-reset").addEventListener("click", () => {
    const image = images[slices[0] && slices[0].image_id];
    if (image) { wcInput.value = image.window_center; wwInput.value = image.window_width; show(); }
  });
  img.addEventListener("wheel", (e) => {
    e.preventDefault();
    slider.value = Math.min(Number(slider.max), Math.max(0, Number(slider.value) + Math.sign(e.deltaY)));
    show();
  }, { passive: false });
  let drag = null;
  img.addEventListener("mousedown", (e) => { drag = { x: e.clientX, y: e.clientY, wc: Number(wcInput.value), ww: Number(wwInput.value) }; e.preventDefault(); });
  window.addEventListener("mouseup", () => { drag = null; });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const scale = Math.max(1, drag.ww / 256);
    wwInput.value = Math.max(1, drag.ww + (e.clientX - drag.x) * scale).toFixed(1);
    wcInput.value = (drag.wc + (e.clientY - drag.y) * scale).toFixed(1);
    show();
  });
  const firstSeries = root.querySelector("button.series");
  if (firstSeries) openSeries(firstSeries.dataset.seriesId);
})();
