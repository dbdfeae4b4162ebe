// A user's own data as a request of the engine's loadData (web/worker/protocol.js): IDX files, or
// a folder of images with one sub-folder per class. Each answer has a `key` that names the files,
// so that the same choice is not loaded twice. Bad or missing input: an Error in plain words.

// files: {trainImages, trainLabels, testImages?, testLabels?}, File objects (IDX, gzipped or not).
export async function idxRequest(files) {
  if (!files.trainImages || !files.trainLabels)
    throw new Error('Choose the training image and label files (IDX, optionally gzipped).');
  const names = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];
  const key = names
    .map((n) => (files[n] ? `${files[n].name}:${files[n].size}:${files[n].lastModified}` : ''))
    .join('|');
  const bytes = async (f) => (f ? new Uint8Array(await f.arrayBuffer()) : undefined);
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(names.map((n) => bytes(files[n])));
  return { key, req: { source: 'idx', trainImages, trainLabels, testImages, testLabels } };
}

// fileList: the files of a directory input (webkitRelativePath "root/<class>/<image>"); a "test"
// or "testing" folder on the way holds the test images.
export function folderRequest(fileList) {
  const files = [...fileList].filter((f) => /\.(png|jpe?g|gif|bmp|webp)$/i.test(f.name));
  if (!files.length) throw new Error('Choose a folder that contains one sub-folder of images (PNG, JPEG) per class.');
  const entries = files.map((file) => {
    const dirs = file.webkitRelativePath.split('/').slice(0, -1);
    return { file, label: dirs[dirs.length - 1] || '?', test: dirs.some((d) => /^(test|testing)$/i.test(d)) };
  });
  return { key: `images:${files.length}:${files[0].webkitRelativePath}`, req: { source: 'images', files: entries } };
}
