// Models and the running training's checkpoint, kept in IndexedDB so that nothing is lost on a
// reload or a crash. One object store, "items", keyed by name:
//   "checkpoint"      the interrupted training: {bytes, config, data, model, iteration, epoch, savedAt, history}
//   "model:<name>"    a saved model: {name, bytes, savedAt, accuracy}
const DB = 'cnn-trainer';
let dbPromise = null;

function open() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('items');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () =>
        reject(new Error(`The browser's storage (IndexedDB) is not available: ${req.error && req.error.message}`));
    });
  }
  return dbPromise;
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction('items', mode);
    const req = fn(t.objectStore('items'));
    t.oncomplete = () => resolve(req && req.result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('storage transaction aborted (is the disk full?)'));
  });
}

export const store = {
  get: (key) => tx('readonly', (s) => s.get(key)),
  put: (key, value) => tx('readwrite', (s) => s.put(value, key)),
  delete: (key) => tx('readwrite', (s) => s.delete(key)),
  keys: () => tx('readonly', (s) => s.getAllKeys()),
};
