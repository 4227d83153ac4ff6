package blobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/minio/minio-go/v7"
)

// S3 stores blobs as objects of one bucket of an S3-compatible service, under a key
// prefix. S3 makes an object visible only when its upload completes, and minio-go
// aborts a failed multipart upload, so Put is atomic as Store requires.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

// s3PartSize is the multipart part size for streams of unknown length: minio-go holds
// one part in memory, and 10,000 parts of 16 MiB allow objects of 160 GiB.
const s3PartSize = 16 << 20

// NewS3 returns a store over bucket, naming objects prefix + "/" + key (no slash is
// added when prefix is empty or already ends with one).
func NewS3(client *minio.Client, bucket, prefix string) *S3 {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &S3{client: client, bucket: bucket, prefix: prefix}
}

func (s *S3) String() string { return "blobs.S3(" + s.bucket + "/" + s.prefix + ")" }

func (s *S3) object(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

// Put uploads r under key and returns the number of bytes stored.
func (s *S3) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	name, err := s.object(key)
	if err != nil {
		return 0, err
	}
	opts := minio.PutObjectOptions{
		PartSize:    s3PartSize,
		ContentType: "application/octet-stream",
		// Blobs here are AEAD ciphertext that carries its own authentication, so the
		// per-chunk payload signature minio-go adds on plain HTTP buys nothing (it
		// sends none over HTTPS either), and some S3 servers cannot parse it.
		DisableContentSha256: true,
	}
	// A blob that fits in one part goes up in one PUT of known length: fewer requests,
	// and empty blobs work (an empty multipart part is refused by some servers).
	buf := make([]byte, s3PartSize)
	n, err := io.ReadFull(ctxReader{ctx, r}, buf)
	var info minio.UploadInfo
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		info, err = s.client.PutObject(ctx, s.bucket, name, bytes.NewReader(buf[:n]), int64(n), opts)
	case err != nil:
		return 0, fmt.Errorf("blobs: put %s: %w", key, err)
	default:
		info, err = s.client.PutObject(ctx, s.bucket, name, io.MultiReader(bytes.NewReader(buf), ctxReader{ctx, r}), -1, opts)
	}
	if err != nil {
		return 0, fmt.Errorf("blobs: put %s: %w", key, err)
	}
	return info.Size, nil
}

// Get opens the object under key. The object is checked to exist before returning, so
// a missing key is ErrNotFound here rather than at the first Read.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	name, err := s.object(key)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, s.mapErr(err, "get", key)
	}
	if _, err := obj.Stat(); err != nil {
		obj.Close()
		return nil, s.mapErr(err, "get", key)
	}
	return obj, nil
}

// Stat returns the size of the object under key.
func (s *S3) Stat(ctx context.Context, key string) (int64, error) {
	name, err := s.object(key)
	if err != nil {
		return 0, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		return 0, s.mapErr(err, "stat", key)
	}
	return info.Size, nil
}

// Delete removes the object under key; S3 deletes of missing objects succeed.
func (s *S3) Delete(ctx context.Context, key string) error {
	name, err := s.object(key)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return s.mapErr(err, "delete", key)
	}
	return nil
}

// List returns the keys that start with prefix, in lexical order.
func (s *S3) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("blobs: list %q: %w", prefix, obj.Err)
		}
		key := strings.TrimPrefix(obj.Key, s.prefix)
		if CheckKey(key) == nil {
			keys = append(keys, key)
		}
	}
	return keys, nil
}

func (s *S3) mapErr(err error, op, key string) error {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey, "NotFound":
		return ErrNotFound
	}
	return fmt.Errorf("blobs: %s %s: %w", op, key, err)
}
