// Saves bytes made in the page as a file the browser downloads (the app's "Download .cnn" and
// "Download ONNX").
export function downloadBytes(bytes, filename, type = 'application/octet-stream') {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type }));
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  return a.download;
}
