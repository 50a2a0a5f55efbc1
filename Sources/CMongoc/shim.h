// The system's MongoDB C driver and libbson (Debian's libmongoc-dev and libbson-dev), linked
// directly: see Archive/MongoArchive.swift.
#include <mongoc/mongoc.h>

// bson_t and bson_iter_t are declared with a 128-byte alignment that Swift cannot import, so Swift
// sees them only as opaque pointers and cannot hold an iterator: these helpers walk a document for it.

static inline uint32_t inframind_bson_length(const bson_t *document) { return document->len; }

static inline bool inframind_bson_utf8(const bson_t *document, const char *key, const char **value) {
    bson_iter_t iterator;
    if (!bson_iter_init_find(&iterator, document, key) || !BSON_ITER_HOLDS_UTF8(&iterator)) return false;
    *value = bson_iter_utf8(&iterator, NULL);
    return true;
}

/// Any numeric type, as int64 (servers may hand back an int64 as an int32).
static inline bool inframind_bson_integer(const bson_t *document, const char *key, int64_t *value) {
    bson_iter_t iterator;
    if (!bson_iter_init_find(&iterator, document, key) || !BSON_ITER_HOLDS_NUMBER(&iterator)) return false;
    *value = bson_iter_as_int64(&iterator);
    return true;
}

/// Milliseconds since 1970.
static inline bool inframind_bson_date(const bson_t *document, const char *key, int64_t *value) {
    bson_iter_t iterator;
    if (!bson_iter_init_find(&iterator, document, key) || !BSON_ITER_HOLDS_DATE_TIME(&iterator)) return false;
    *value = bson_iter_date_time(&iterator);
    return true;
}

/// A copy of an embedded document or array (free with bson_destroy), or NULL.
static inline bson_t *inframind_bson_document(const bson_t *document, const char *key) {
    bson_iter_t iterator;
    uint32_t length = 0;
    const uint8_t *data = NULL;
    if (!bson_iter_init_find(&iterator, document, key)) return NULL;
    if (BSON_ITER_HOLDS_DOCUMENT(&iterator)) {
        bson_iter_document(&iterator, &length, &data);
    } else if (BSON_ITER_HOLDS_ARRAY(&iterator)) {
        bson_iter_array(&iterator, &length, &data);
    } else {
        return NULL;
    }
    return bson_new_from_data(data, length);
}

/// One GridFS chunk, `{files_id: <string>, n, data: <binary>}` (free with bson_destroy). The archive
/// writes chunks itself rather than through an upload stream: libmongoc 1.23's stream ignores a chunk
/// insert that fails and inserts the same chunk again for ever (docs/archive.md, "GridFS").
static inline bson_t *inframind_gridfs_chunk(const char *file_id, int32_t n, const uint8_t *data, uint32_t length) {
    bson_t *chunk = bson_new();
    BSON_APPEND_UTF8(chunk, "files_id", file_id);
    BSON_APPEND_INT32(chunk, "n", n);
    BSON_APPEND_BINARY(chunk, "data", BSON_SUBTYPE_BINARY, data, length);
    return chunk;
}

/// A download stream for a GridFS file whose id is a string.
static inline mongoc_stream_t *inframind_gridfs_download(
    mongoc_gridfs_bucket_t *bucket, const char *file_id, bson_error_t *error) {
    bson_value_t id;
    id.value_type = BSON_TYPE_UTF8;
    id.value.v_utf8.str = (char *)file_id;
    id.value.v_utf8.len = (uint32_t)strlen(file_id);
    return mongoc_gridfs_bucket_open_download_stream(bucket, &id, error);
}
