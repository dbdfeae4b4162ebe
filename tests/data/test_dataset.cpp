// Data sets: built from IDX pairs, seeded validation splits, batches, and the seeded shuffle.

#include "data_util.h"

namespace cnn::test {
namespace {

TEST(DataDataset, FromIdxPairs) {
  Idx im = random_idx({6, 4, 5}, 1), lb;
  lb.dims = {6};
  lb.data = {3, 1, 4, 1, 5, 0};
  Dataset d = make_dataset(im, lb);
  EXPECT_EQ(d.n, 6u);
  EXPECT_EQ(d.c, 1u);
  EXPECT_EQ(d.h, 4u);
  EXPECT_EQ(d.w, 5u);
  EXPECT_EQ(d.num_classes, 6);
  EXPECT_EQ(d.labels, (std::vector<int>{3, 1, 4, 1, 5, 0}));
  EXPECT_EQ(d.pixels, im.data);
  EXPECT_EQ(make_dataset(im, lb, 10).num_classes, 10);
  EXPECT_HAS(error_of([&] { make_dataset(im, lb, 5); }), "label 5 of sample 4 is not below num_classes = 5");

  Idx im4 = random_idx({6, 3, 2, 2}, 2);
  Dataset d4 = make_dataset(im4, lb);
  EXPECT_EQ(d4.c, 3u);
  EXPECT_EQ(d4.h, 2u);
  EXPECT_EQ(d4.sample_shape(), (Shape{3, 2, 2}));

  Idx lb5 = lb;
  lb5.dims = {5};
  lb5.data.resize(5);
  std::string m = error_of([&] { make_dataset(im, lb5, 0, "a-images", "a-labels"); });
  EXPECT_HAS(m, "'a-images' has 6 images but labels file 'a-labels' has 5 labels");
  EXPECT_HAS(error_of([&] { make_dataset(random_idx({6, 4}, 1), lb); }), "expected 3-D (N x H x W) or 4-D");
  EXPECT_HAS(error_of([&] { make_dataset(im, random_idx({6, 1}, 1)); }), "expected 1-D data (N), got 2-D 6x1");
  EXPECT_HAS(error_of([&] { make_dataset(random_idx({0, 4, 4}, 1), random_idx({0}, 1)); }), "no images");

  // Files on disk and bytes in memory give the same dataset; save round-trips.
  TempFile fi("ds-images.idx"), fl("ds-labels.idx");
  save_idx_dataset(d4, fi.path, fl.path);
  Dataset back = load_idx_dataset(fi.path, fl.path);
  EXPECT_EQ(back.pixels, d4.pixels);
  EXPECT_EQ(back.labels, d4.labels);
  EXPECT_EQ(back.sample_shape(), d4.sample_shape());
  const auto bi = encode_idx(im), bl = encode_idx(lb);
  Dataset mem = load_idx_dataset(bi.data(), bi.size(), bl.data(), bl.size(), 0);
  EXPECT_EQ(mem.pixels, d.pixels);
  EXPECT_EQ(mem.labels, d.labels);
  // A mismatched pair on disk names both files.
  TempFile fl5("ds-labels5.idx");
  write_idx(fl5.path, lb5);
  m = error_of([&] { load_idx_dataset(fi.path, fl5.path); });
  EXPECT_HAS(m, fi.path);
  EXPECT_HAS(m, fl5.path);
}

TEST(DataDataset, SplitIsSeededReproducibleAndDisjoint) {
  // Pixel 0 of sample i holds i, so samples can be identified after the split.
  Dataset d = synthetic(200, 1, 2, 2, 7, 5);
  for (std::size_t i = 0; i < d.n; ++i) d.pixels[i * 4] = static_cast<std::uint8_t>(i);
  auto ids = [](const Dataset& s) {
    std::vector<int> v;
    for (std::size_t i = 0; i < s.n; ++i) v.push_back(s.image(i)[0]);
    return v;
  };
  auto [tr, va] = split(d, 50, 123);
  auto [tr2, va2] = split(d, 50, 123);
  auto [tr3, va3] = split(d, 50, 124);
  EXPECT_EQ(tr.n, 150u);
  EXPECT_EQ(va.n, 50u);
  EXPECT_EQ(ids(va), ids(va2));
  EXPECT_EQ(tr.pixels, tr2.pixels);
  EXPECT_NE(ids(va), ids(va3));
  std::vector<int> a = ids(tr), b = ids(va);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  std::set<int> all(a.begin(), a.end());
  for (int v : b) EXPECT_TRUE(all.insert(v).second) << "sample " << v << " in both sets";
  EXPECT_EQ(all.size(), 200u);
  // Labels follow their images.
  for (std::size_t i = 0; i < va.n; ++i) EXPECT_EQ(va.labels[i], va.image(i)[0] % 7);
  EXPECT_EQ(va.num_classes, 7);
  // Not simply the last K.
  EXPECT_LT(b.front(), 150);
  EXPECT_EQ(split_fraction(d, 0.1, 1).second.n, 20u);
  EXPECT_EQ(split(d, 0, 1).first.n, 200u);
  EXPECT_HAS(error_of([&] { split(d, 201, 1); }), "exceeds the 200 samples");
  EXPECT_HAS(error_of([&] { split_fraction(d, 1.5, 1); }), "fraction");
}

TEST(DataDataset, BatchScalesPixelsAndChecksIndices) {
  Dataset d = synthetic(10, 2, 3, 3, 4, 9);
  Tensor x;
  std::vector<int> y;
  batch(d, std::vector<std::size_t>{7, 2, 7}, x, y);
  EXPECT_EQ(shape_of(x), (Shape{3, 2, 3, 3}));
  EXPECT_EQ(y, (std::vector<int>{3, 2, 3}));
  for (std::size_t j = 0; j < 18; ++j) {
    EXPECT_EQ(x.data()[j], static_cast<float>(d.image(7)[j]) / 255.0f);
    EXPECT_EQ(x.data()[18 + j], static_cast<float>(d.image(2)[j]) / 255.0f);
  }
  const float* buf = x.data();
  batch(d, std::vector<std::size_t>{1, 2, 3}, x, y);
  EXPECT_EQ(x.data(), buf) << "same shape: the buffer is kept";
  EXPECT_HAS(error_of([&] { batch(d, std::vector<std::size_t>{10}, x, y); }), "index 10 out of range for 10");
  AugmentConfig aug;
  aug.translate = 1;
  EXPECT_HAS(error_of([&] {
               const std::size_t i = 0;
               batch(d, &i, 1, x, y, Preprocess(), &aug, nullptr);
             }),
             "random generator");
  // With preprocessing: the same as applying it afterwards.
  PreprocessConfig pc;
  Preprocess pre(pc);
  pre.fit(d);
  Tensor raw, pro;
  batch(d, std::vector<std::size_t>{4, 5}, raw, y);
  batch(d, std::vector<std::size_t>{4, 5}, pro, y, pre);
  pre.apply(raw);
  for (std::size_t j = 0; j < raw.size(); ++j) EXPECT_EQ(raw.data()[j], pro.data()[j]);
}

TEST(DataShuffle, FisherYatesIsASeededPermutation) {
  std::vector<std::size_t> a = iota_n(100), b = a, c = a;
  Rng r1(5), r2(5), r3(6);
  shuffle(a, r1);
  shuffle(b, r2);
  shuffle(c, r3);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(a, iota_n(100));
  std::vector<std::size_t> s = a;
  std::sort(s.begin(), s.end());
  EXPECT_EQ(s, iota_n(100));
  std::vector<std::size_t> empty, one{3};
  shuffle(empty, r1);
  shuffle(one, r1);
  EXPECT_EQ(one, std::vector<std::size_t>{3});
}

}  // namespace
}  // namespace cnn::test
